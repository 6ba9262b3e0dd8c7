/** How a user gets in and is reached: their sessions, sign-in devices and push devices, each
 * revocable (confirmed, with a fresh step-up when the API asks, the refusal's detail shown). */
import {
  admin,
  type PushDevice,
  type SignInDevice,
  type SignInSession,
} from "../../api/admin";
import { useApi } from "../../context";
import { useLoad } from "../../hooks";
import { useAction } from "../../components/useAction";
import { DataView } from "../../components/DataView";
import { when } from "../../format";

interface Props {
  id: string;
  who: string;
  /** Something the profile counts (sessions, devices) changed. */
  onChange: () => void;
}

export function AccessSections({ id, who, onChange }: Props) {
  const api = useApi();
  const calls = admin(api);
  const sessions = useLoad<SignInSession[]>(() => calls.userSessions(id), [id]);
  const devices = useLoad<SignInDevice[]>(() => calls.userDevices(id), [id]);
  const pushes = useLoad<{ items: PushDevice[] }>(() => calls.userPushDevices(id), [id]);
  const action = useAction();
  const busy = action.busy;

  const endSession = (session: SignInSession) =>
    action.start({
      title: `End this session of ${who}?`,
      body: (
        <p>
          The session started {when(session.created_at)} from {session.ip || "an unknown address"}{" "}
          ends now: its tokens stop working and the app asks to sign in again.
        </p>
      ),
      confirmLabel: "End session",
      danger: true,
      perform: () => calls.revokeSession(id, session.id),
      success: () => `${who}'s session is ended.`,
      onDone: () => {
        sessions.reload();
        onChange();
      },
    });
  const endEvery = (list: SignInSession[]) =>
    action.start({
      title: `End all ${list.length} sessions of ${who}?`,
      body: <p>Every session ends now; the account stays active and can sign in again.</p>,
      confirmLabel: "End every session",
      danger: true,
      perform: async () => {
        for (const session of list) await calls.revokeSession(id, session.id);
        return list.length;
      },
      success: (count) => `${count} sessions of ${who} ended.`,
      onDone: () => {
        sessions.reload();
        onChange();
      },
    });
  const revokeDevice = (device: SignInDevice) =>
    action.start({
      title: `Revoke ${who}'s device “${device.name}”?`,
      body: (
        <p>
          The device can no longer sign in with its key. Sessions it already opened stay until
          they are ended above.
        </p>
      ),
      confirmLabel: "Revoke device",
      danger: true,
      perform: () => calls.revokeDevice(id, device.id),
      success: () => `“${device.name}” is revoked.`,
      onDone: () => {
        devices.reload();
        onChange();
      },
    });
  const stopPushes = (device: PushDevice) =>
    action.start({
      title: `Stop pushing to ${who}'s ${device.platform} device?`,
      body: (
        <p>
          The device ({device.token_hint}) gets no more notifications and its pending pushes are
          dropped, until the app registers it again.
        </p>
      ),
      confirmLabel: "Stop pushes",
      danger: true,
      perform: () => calls.revokePushDevice(id, device.id),
      success: () => `No more pushes to that ${device.platform} device.`,
      onDone: pushes.reload,
    });

  return (
    <>
      {action.element}
      <section aria-labelledby="sessions">
        <h2 id="sessions">Sessions</h2>
        <DataView
          result={sessions}
          what="the sessions"
          isEmpty={(list) => list.length === 0}
          empty="No active session."
        >
          {(list) => (
            <>
              <table>
                <caption className="sr-only">The user's active sessions</caption>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">How</th>
                    <th scope="col">From</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">{when(s.created_at)}</th>
                      <td>{when(s.last_used_at)}</td>
                      <td>{when(s.expires_at)}</td>
                      <td>{s.method}</td>
                      <td>
                        {s.ip || "–"}
                        <div className="hint">{s.user_agent}</div>
                      </td>
                      <td>
                        <button
                          type="button"
                          onClick={() => endSession(s)}
                          disabled={busy}
                          aria-label={`End the session started ${when(s.created_at)}`}
                        >
                          End…
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {list.length > 1 && (
                <button type="button" className="danger" onClick={() => endEvery(list)} disabled={busy}>
                  End every session…
                </button>
              )}
            </>
          )}
        </DataView>
      </section>
      <section aria-labelledby="devices">
        <h2 id="devices">Sign-in devices</h2>
        <DataView
          result={devices}
          what="the devices"
          isEmpty={(list) => list.length === 0}
          empty="No sign-in device registered."
        >
          {(list) => (
            <table>
              <caption className="sr-only">The user's sign-in devices</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.id}>
                    <th scope="row">{d.name}</th>
                    <td>{when(d.created_at)}</td>
                    <td>{when(d.last_used_at)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() => revokeDevice(d)}
                        disabled={busy}
                        aria-label={`Revoke the device ${d.name}`}
                      >
                        Revoke…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </DataView>
      </section>
      <section aria-labelledby="push-devices">
        <h2 id="push-devices">Push devices</h2>
        <DataView
          result={pushes}
          what="the push devices"
          isEmpty={(list) => list.items.length === 0}
          empty="No device receives pushes."
        >
          {(list) => (
            <table>
              <caption className="sr-only">Where the user's notifications are pushed</caption>
              <thead>
                <tr>
                  <th scope="col">Platform</th>
                  <th scope="col">Token</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Last push</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.items.map((d) => (
                  <tr key={d.id}>
                    <th scope="row">
                      {d.platform}
                      <div className="hint mono">{d.device_id}</div>
                    </th>
                    <td className="mono">{d.token_hint}</td>
                    <td>{when(d.created_at)}</td>
                    <td>{when(d.last_sent_at)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() => stopPushes(d)}
                        disabled={busy}
                        aria-label={`Stop pushes to the ${d.platform} device ${d.token_hint}`}
                      >
                        Stop pushes…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </DataView>
      </section>
    </>
  );
}

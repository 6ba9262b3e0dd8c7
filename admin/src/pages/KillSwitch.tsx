import { useState } from "react";
import { admin, type KillSwitchEntry, type KillSwitches, type KillSwitchView } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { useAction } from "../components/useAction";
import { DataView } from "../components/DataView";
import { UserRef } from "../components/UserRef";
import { when } from "../format";

/** What is engaged (globally and per user: who, when, why), and the global switch: engage
 * (optionally closing every position) or release, with a reason. */
export function KillSwitch() {
  const api = useApi();
  const calls = admin(api);
  const state = useLoad<KillSwitches>(() => calls.killSwitches(), [], 10_000);
  const action = useAction();
  const [reason, setReason] = useState("");
  const [closeAll, setCloseAll] = useState(false);

  const set = (active: boolean) =>
    action.start({
      title: active ? "Engage the global kill switch?" : "Release the global kill switch?",
      body: active ? (
        <p>
          Every new order of every user is refused and every bot pauses.
          {closeAll && " Every open order is cancelled and every position closed at market."}
          {reason.trim() && ` Reason: “${reason.trim()}”.`}
        </p>
      ) : (
        <p>Orders are accepted again. Bots stay paused until their owners start them.</p>
      ),
      confirmLabel: active ? "Engage kill switch" : "Release kill switch",
      danger: active,
      perform: () =>
        calls.killSwitch({
          scope: "global",
          active,
          reason: reason.trim() || null,
          close_all_positions: active && closeAll,
        }),
      success: (view) => {
        const result = view as KillSwitchView;
        const unwound = result.positions_closing || result.orders_cancelled
          ? ` ${result.orders_cancelled} orders cancelled, ${result.positions_closing} positions closing.`
          : "";
        return (result.active ? "Global kill switch engaged." : "Global kill switch released.") + unwound;
      },
      onDone: () => {
        setReason("");
        setCloseAll(false);
        state.reload();
      },
    });
  const release = (entry: KillSwitchEntry) =>
    action.start({
      title: "Release this user's kill switch?",
      body: <p>Their orders are accepted again; their bot stays paused until they start it.</p>,
      confirmLabel: "Release kill switch",
      perform: () =>
        calls.killSwitch({ scope: "user", user_id: entry.user_id, active: false, close_all_positions: false }),
      success: () => "The user's kill switch is released.",
      onDone: state.reload,
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Kill switch</h1>
      {action.element}
      <DataView result={state} what="the kill switches">
        {(switches) => (
          <>
            <Global entry={switches.global} />
            <section aria-labelledby="halted-users">
              <h2 id="halted-users">Users halted</h2>
              {switches.users.length === 0 ? (
                <p className="empty">No user's trading is halted.</p>
              ) : (
                <table>
                  <caption className="sr-only">Per-user kill switches engaged, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">User</th>
                      <th scope="col">Since</th>
                      <th scope="col">Set by</th>
                      <th scope="col">Reason</th>
                      <th scope="col">
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {switches.users.map((entry) => (
                      <tr key={entry.user_id}>
                        <th scope="row">
                          <UserRef id={entry.user_id} />
                        </th>
                        <td>{when(entry.since)}</td>
                        <td>
                          {entry.set_by === "user" ? "the user" : "an admin"}
                          {entry.set_by === "admin" && entry.set_by_user_id && (
                            <>
                              {" "}
                              (<UserRef id={entry.set_by_user_id} />)
                            </>
                          )}
                        </td>
                        <td>{entry.reason || "–"}</td>
                        <td>
                          <button
                            type="button"
                            onClick={() => release(entry)}
                            disabled={action.busy}
                            aria-label={`Release the kill switch of user ${entry.user_id?.slice(0, 8) ?? ""}`}
                          >
                            Release…
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </DataView>
      <h2 id="global-controls">Global switch</h2>
      <form className="card" aria-labelledby="global-controls" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="ks-reason">Reason (kept with the switch and in the audit log)</label>
        <textarea
          id="ks-reason"
          maxLength={500}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
        <div className="check">
          <input
            id="ks-close-all"
            type="checkbox"
            checked={closeAll}
            onChange={(event) => setCloseAll(event.target.checked)}
          />
          <label htmlFor="ks-close-all">
            Also cancel every open order and close every position at market
          </label>
        </div>
        <div className="actions">
          <button type="button" className="danger" onClick={() => set(true)} disabled={action.busy}>
            Engage…
          </button>
          <button type="button" onClick={() => set(false)} disabled={action.busy}>
            Release…
          </button>
        </div>
      </form>
    </main>
  );
}

function Global({ entry }: { entry: KillSwitchEntry | null }) {
  if (!entry)
    return (
      <p className="banner banner-good" role="status">
        The global kill switch is <strong>released</strong>: trading is on.
      </p>
    );
  return (
    <div className="banner banner-bad" role="status">
      <p>
        The global kill switch is <strong>ENGAGED</strong>: no order is placed for anyone.
      </p>
      <p>
        Engaged {when(entry.since)} by <UserRef id={entry.set_by_user_id ?? entry.set_by} named />
        {entry.reason ? `: “${entry.reason}”` : " (no reason given)"}.
      </p>
    </div>
  );
}

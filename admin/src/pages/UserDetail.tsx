import { useState } from "react";
import { admin, TIERS, type AdminUserDetail, type AuditPage, type Tier } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { useAction } from "../components/useAction";
import { DataView } from "../components/DataView";
import { AuditTable } from "./Audit";
import { Link } from "../router";
import { when } from "../format";
import { BotSection, CredentialsSection, OrdersSection, PositionsSection } from "./user/Trading";
import { AccessSections } from "./user/Access";

const CONTENTS = [
  ["profile", "Profile"],
  ["user-actions", "Actions"],
  ["bot", "Bot"],
  ["orders", "Orders"],
  ["positions", "Positions"],
  ["credentials", "Credentials"],
  ["sessions", "Sessions"],
  ["devices", "Devices"],
  ["push-devices", "Push devices"],
  ["trail", "Audit trail"],
] as const;

/** One account for support: who they are and their status, their bot, orders, positions and
 * credential metadata, their sessions and devices (revocable), their audit trail, and the
 * actions on them (each confirmed, stepped up when the API asks, refused with its detail). */
export function UserDetail({ id }: { id: string }) {
  const api = useApi();
  const calls = admin(api);
  const detail = useLoad<AdminUserDetail>(() => calls.user(id), [id]);
  const trail = useLoad<AuditPage>(() => calls.audit({ user_id: id, limit: 20 }), [id]);
  const action = useAction();
  // Suspending ends every session: the access sections load again when the account changes.
  const [epoch, setEpoch] = useState(0);
  const refresh = () => {
    detail.reload();
    trail.reload();
    setEpoch((n) => n + 1);
  };
  return (
    <main id="main" tabIndex={-1}>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <DataView result={detail} what="this user">
        {(data) => (
          <>
            <h1>{data.user.email}</h1>
            {action.element}
            <nav className="contents" aria-label="On this page">
              <ul>
                {CONTENTS.map(([anchor, label]) => (
                  <li key={anchor}>
                    <a href={`#${anchor}`}>{label}</a>
                  </li>
                ))}
              </ul>
            </nav>
            <Profile data={data} />
            <Actions data={data} start={action.start} busy={action.busy} refresh={refresh} />
            <BotSection id={id} />
            <OrdersSection id={id} />
            <PositionsSection id={id} />
            <CredentialsSection id={id} />
            <AccessSections key={epoch} id={id} who={data.user.email} onChange={detail.reload} />
          </>
        )}
      </DataView>
      <section aria-labelledby="trail">
        <h2 id="trail">Audit trail</h2>
        <DataView
          result={trail}
          what="the audit trail"
          isEmpty={(page) => page.items.length === 0}
          empty="Nothing audited for this user yet."
        >
          {(page) => <AuditTable entries={page.items} />}
        </DataView>
      </section>
    </main>
  );
}

function Profile({ data }: { data: AdminUserDetail }) {
  const user = data.user;
  return (
    <section aria-labelledby="profile">
      <h2 id="profile">Profile</h2>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{data.display_name || "–"}</dd>
        <dt>Id</dt>
        <dd className="mono">{user.id}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Tier</dt>
        <dd>{user.tier}</dd>
        <dt>Status</dt>
        <dd>
          <span className={`badge badge-${user.status === "active" ? "good" : "bad"}`}>
            {user.status}
          </span>
          {user.status === "suspended" && (
            <>
              {" "}
              since {when(user.suspended_at)}: {user.suspended_reason || "no reason given"}
            </>
          )}
        </dd>
        <dt>Second factor</dt>
        <dd>{user.two_factor_enabled ? "TOTP enrolled" : "none"}</dd>
        <dt>Active sessions</dt>
        <dd>{data.active_sessions}</dd>
        <dt>Devices</dt>
        <dd>{data.devices}</dd>
        <dt>Created</dt>
        <dd>{when(user.created_at)}</dd>
      </dl>
    </section>
  );
}

interface ActionsProps {
  data: AdminUserDetail;
  start: ReturnType<typeof useAction>["start"];
  busy: boolean;
  refresh: () => void;
}

function Actions({ data, start, busy, refresh }: ActionsProps) {
  const api = useApi();
  const calls = admin(api);
  const user = data.user;
  const [reason, setReason] = useState("");
  const [tier, setTier] = useState<Tier>(user.tier);
  const [haltReason, setHaltReason] = useState("");
  const who = user.email;

  const suspend = () =>
    start({
      title: `Suspend ${who}?`,
      body: (
        <p>
          Their sessions end now and every call they make is refused until they are reinstated.
          Reason: “{reason.trim()}”.
        </p>
      ),
      confirmLabel: "Suspend",
      danger: true,
      perform: () => calls.suspend(user.id, reason.trim()),
      success: () => `${who} is suspended.`,
      onDone: () => {
        setReason("");
        refresh();
      },
    });
  const reinstate = () =>
    start({
      title: `Reinstate ${who}?`,
      body: <p>They can sign in again; their old sessions stay ended.</p>,
      confirmLabel: "Reinstate",
      perform: () => calls.reinstate(user.id),
      success: () => `${who} is active again.`,
      onDone: refresh,
    });
  const changeTier = () =>
    start({
      title: `Change ${who}'s tier to ${tier}?`,
      body: <p>Their risk limits and API budget follow the new tier.</p>,
      confirmLabel: "Change tier",
      perform: () => calls.changeTier(user.id, tier),
      success: (result) => `${who} is now on the ${(result as AdminUserDetail).user.tier} tier.`,
      onDone: refresh,
    });
  const resume = () =>
    start({
      title: `Resume trading for ${who}?`,
      body: <p>Lifts execution's pause of this trader (their bot stays paused until they start it).</p>,
      confirmLabel: "Resume trading",
      perform: () => calls.resumeTrading(user.id),
      success: () => `Trading resumed for ${who}.`,
      onDone: refresh,
    });
  const halt = (active: boolean) =>
    start({
      title: active ? `Halt all trading of ${who}?` : `Release ${who}'s kill switch?`,
      body: active ? (
        <p>Their orders are refused and their bot pauses until the switch is released.</p>
      ) : (
        <p>Their orders are accepted again; their bot stays paused until they start it.</p>
      ),
      confirmLabel: active ? "Engage kill switch" : "Release kill switch",
      danger: active,
      perform: () =>
        calls.killSwitch({
          scope: "user",
          user_id: user.id,
          active,
          reason: haltReason.trim() || null,
          close_all_positions: false,
        }),
      success: () => (active ? `${who}'s trading is halted.` : `${who}'s kill switch is released.`),
      onDone: () => {
        setHaltReason("");
        refresh();
      },
    });

  return (
    <section aria-labelledby="user-actions">
      <h2 id="user-actions">Actions</h2>
      <div className="cards">
        {user.status === "active" ? (
          <form
            className="card"
            aria-label="Suspend"
            onSubmit={(event) => {
              event.preventDefault();
              suspend();
            }}
          >
            <h3>Suspend</h3>
            <label htmlFor="suspend-reason">Reason (the user and the audit log see it)</label>
            <textarea
              id="suspend-reason"
              required
              maxLength={500}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
            />
            <p className="hint">Suspending also ends every session the user has.</p>
            <button type="submit" className="danger" disabled={busy || !reason.trim()}>
              Suspend…
            </button>
          </form>
        ) : (
          <div className="card">
            <h3>Reinstate</h3>
            <p>Suspended: {user.suspended_reason || "no reason given"}</p>
            <button type="button" className="primary" onClick={reinstate} disabled={busy}>
              Reinstate…
            </button>
          </div>
        )}
        <form
          className="card"
          aria-label="Change the tier"
          onSubmit={(event) => {
            event.preventDefault();
            changeTier();
          }}
        >
          <h3>Tier</h3>
          <label htmlFor="tier">New tier</label>
          <select id="tier" value={tier} onChange={(event) => setTier(event.target.value as Tier)}>
            {TIERS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
          <button type="submit" disabled={busy || tier === user.tier}>
            Change tier…
          </button>
        </form>
        <div className="card">
          <h3>Trading</h3>
          <label htmlFor="halt-reason">Kill switch reason</label>
          <input
            id="halt-reason"
            maxLength={500}
            value={haltReason}
            onChange={(event) => setHaltReason(event.target.value)}
          />
          <div className="actions">
            <button type="button" className="danger" onClick={() => halt(true)} disabled={busy}>
              Engage kill switch…
            </button>
            <button type="button" onClick={() => halt(false)} disabled={busy}>
              Release kill switch…
            </button>
            <button type="button" onClick={resume} disabled={busy}>
              Resume trading…
            </button>
          </div>
        </div>
      </div>
    </section>
  );
}

import type { ReactNode } from "react";
import { admin, TIERS, type AdminOverview, type KillSwitches } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { UserRef } from "../components/UserRef";
import { Link } from "../router";
import { amount, ms, percent, when } from "../format";

// Two calls a refresh: every 15 s is 8 of the admin's per-minute API budget (60 on basic).
const REFRESH_MS = 15_000;

interface Figures {
  overview: AdminOverview;
  switches: KillSwitches;
}

/** At a glance, refreshed every 15 s: halts, accounts, bots, 24 h trading, the order path's
 * latency and venue health (GET /v1/admin/overview and /v1/admin/kill-switch). */
export function Overview() {
  const api = useApi();
  const calls = admin(api);
  const result = useLoad<Figures>(
    async () => {
      const [overview, switches] = await Promise.all([calls.overview(), calls.killSwitches()]);
      return { overview, switches };
    },
    [],
    REFRESH_MS,
  );
  return (
    <main id="main" tabIndex={-1}>
      <h1>Overview</h1>
      <p className="hint">
        Refreshes every 15 seconds
        {result.data ? `; figures as of ${when(result.data.overview.as_of)}` : ""}.
      </p>
      <DataView result={result} what="the overview">
        {(data) => <Figures data={data} />}
      </DataView>
    </main>
  );
}

function Figures({ data }: { data: Figures }) {
  const { users, bots, trading, order_path: path, venues } = data.overview;
  const global = data.switches.global;
  const halted = data.switches.users.length;
  const unhealthy = venues.venues.filter((v) => v.breaker_state !== "closed");
  const stale = venues.breakers.stale ?? 0;
  return (
    <>
      <section aria-labelledby="halts">
        <h2 id="halts">Kill switches</h2>
        {global ? (
          <p className="badge badge-bad">
            Global kill switch ENGAGED since {when(global.since)} by{" "}
            <UserRef id={global.set_by_user_id ?? global.set_by} named />
            {global.reason ? ` (“${global.reason}”)` : ""}: no order is placed.{" "}
            <Link to="/kill-switch">Manage</Link>
          </p>
        ) : (
          <p className="badge badge-good">Trading is on (global kill switch released).</p>
        )}
        <p>
          {halted === 0 ? (
            "No user's trading is halted."
          ) : (
            <>
              {halted} {halted === 1 ? "user's" : "users'"} trading halted.{" "}
              <Link to="/kill-switch">See who</Link>
            </>
          )}
        </p>
      </section>
      <section aria-labelledby="accounts">
        <h2 id="accounts">Accounts</h2>
        <dl className="tiles">
          <Tile label="Users" value={users.total} />
          <Tile label="Active" value={users.by_status.active ?? 0} />
          <Tile label="Suspended" value={users.by_status.suspended ?? 0} />
          {TIERS.map((tier) => (
            <Tile
              key={tier}
              label={`Tier ${tier}`}
              value={<Link to={`/users?tier=${tier}`}>{users.by_tier[tier] ?? 0}</Link>}
            />
          ))}
        </dl>
      </section>
      <section aria-labelledby="bots">
        <h2 id="bots">Bots</h2>
        <dl className="tiles">
          <Tile label="Running" value={bots.running} />
          <Tile label="Paused" value={bots.paused} />
          <Tile label="Off" value={bots.off} />
        </dl>
      </section>
      <section aria-labelledby="trading">
        <h2 id="trading">Trading, last 24 h</h2>
        <dl className="tiles">
          <Tile label="Orders" value={trading.orders_24h} />
          <Tile label="Trades" value={trading.trades_24h} />
          <Tile label="Volume (quote)" value={amount(trading.volume_24h)} />
          <Tile label="Orders per minute" value={amount(trading.orders_per_minute)} />
          <Tile label="Error rate" value={trading.orders_24h ? percent(trading.error_rate) : "–"} />
          <Tile label="Order path p50" value={ms(path.p50_ms)} />
          <Tile label="Order path p99" value={ms(path.p99_ms)} />
        </dl>
        <p className="hint">
          Orders per minute: over the last 15 minutes. Error rate: share of the day's orders
          rejected. Order path: from the order's routing to its first fill, over the{" "}
          {path.samples} orders filled in the last 24 h.
        </p>
      </section>
      <section aria-labelledby="venue-health">
        <h2 id="venue-health">Venue health</h2>
        {venues.venues.length === 0 ? (
          <p className="empty">No venues reported yet.</p>
        ) : (
          <table>
            <caption className="sr-only">Venue health at a glance</caption>
            <thead>
              <tr>
                <th scope="col">Venue</th>
                <th scope="col">Breaker</th>
                <th scope="col">Success</th>
                <th scope="col">Queue</th>
                <th scope="col">Latency p99</th>
                <th scope="col">Reported</th>
              </tr>
            </thead>
            <tbody>
              {venues.venues.map((venue) => (
                <tr key={venue.venue}>
                  <th scope="row">{venue.venue}</th>
                  <td>
                    <Breaker state={venue.breaker_state} />
                  </td>
                  <td>{percent(venue.success_rate)}</td>
                  <td>{venue.queue_depth}</td>
                  <td>{ms(venue.latency_p99_ms)}</td>
                  <td>{when(venue.as_of)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {(unhealthy.length > 0 || stale > 0) && (
          <p className="notice notice-error" role="alert">
            {unhealthy.length > 0 &&
              `Breaker not closed on ${unhealthy.map((v) => v.venue).join(", ")}. `}
            {stale > 0 && `${stale} ${stale === 1 ? "venue has" : "venues have"} not reported for a minute. `}
            <Link to="/venues">See venues</Link>
          </p>
        )}
      </section>
    </>
  );
}

function Tile({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

export function Breaker({ state }: { state: string | null | undefined }) {
  const label = state ?? "unknown";
  const tone = state === "closed" ? "good" : state === "half_open" ? "warn" : "bad";
  return <span className={`badge badge-${tone}`}>{label.replace("_", " ")}</span>;
}

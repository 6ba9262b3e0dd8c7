import { admin, type AdminRouting, type VenueHealth } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { Link } from "../router";
import { percent, ms } from "../format";

// Four calls a refresh: every 15 s is 16 of the admin's per-minute API budget (60 on basic).
const REFRESH_MS = 15_000;

interface Figures {
  users: { total: number; active: number; suspended: number };
  venues: VenueHealth[];
  routing: AdminRouting;
}

/** At a glance, refreshed every 15 s: accounts, venue health, routing's last 24 h, halts. */
export function Overview() {
  const api = useApi();
  const calls = admin(api);
  const result = useLoad<Figures>(
    async () => {
      const [active, suspended, venues, routing] = await Promise.all([
        calls.users({ limit: 1, offset: 0, status: "active" }),
        calls.users({ limit: 1, offset: 0, status: "suspended" }),
        calls.venues(),
        calls.routing(1),
      ]);
      return {
        users: {
          total: active.total + suspended.total,
          active: active.total,
          suspended: suspended.total,
        },
        venues,
        routing,
      };
    },
    [],
    REFRESH_MS,
  );
  return (
    <main id="main" tabIndex={-1}>
      <h1>Overview</h1>
      <p className="hint">Refreshes every 15 seconds.</p>
      <DataView result={result} what="the overview">
        {(data) => <Figures data={data} />}
      </DataView>
    </main>
  );
}

function Figures({ data }: { data: Figures }) {
  const routed = data.routing.venues.reduce((sum, v) => sum + v.routed_24h, 0);
  const failed = data.routing.venues.reduce((sum, v) => sum + v.failed_24h, 0);
  const open = data.venues.filter((v) => v.breaker_state !== "closed");
  return (
    <>
      <section aria-labelledby="halts">
        <h2 id="halts">Kill switch</h2>
        {data.routing.global_kill_switch ? (
          <p className="badge badge-bad">
            Global kill switch ENGAGED: no order is placed. <Link to="/kill-switch">Manage</Link>
          </p>
        ) : (
          <p className="badge badge-good">Trading is on (global kill switch released).</p>
        )}
      </section>
      <section aria-labelledby="accounts">
        <h2 id="accounts">Accounts</h2>
        <dl className="tiles">
          <Tile label="Users" value={data.users.total} />
          <Tile label="Active" value={data.users.active} />
          <Tile label="Suspended" value={data.users.suspended} />
        </dl>
      </section>
      <section aria-labelledby="orders">
        <h2 id="orders">Routing, last 24 h</h2>
        <dl className="tiles">
          <Tile label="Orders routed" value={routed} />
          <Tile label="Failed" value={failed} />
          <Tile label="Error rate" value={routed ? percent(failed / routed) : "–"} />
        </dl>
      </section>
      <section aria-labelledby="venue-health">
        <h2 id="venue-health">Venue health</h2>
        {data.venues.length === 0 ? (
          <p className="empty">No venues reported yet.</p>
        ) : (
          <table>
            <caption className="sr-only">Venue health at a glance</caption>
            <thead>
              <tr>
                <th scope="col">Venue</th>
                <th scope="col">Breaker</th>
                <th scope="col">Success</th>
                <th scope="col">Latency p99</th>
              </tr>
            </thead>
            <tbody>
              {data.venues.map((venue) => (
                <tr key={venue.venue}>
                  <th scope="row">{venue.venue}</th>
                  <td>
                    <Breaker state={venue.breaker_state} />
                  </td>
                  <td>{percent(venue.success_rate)}</td>
                  <td>{ms(venue.latency_p99_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {open.length > 0 && (
          <p className="notice notice-error" role="alert">
            Breaker not closed on {open.map((v) => v.venue).join(", ")}.{" "}
            <Link to="/venues">See venues</Link>
          </p>
        )}
      </section>
    </>
  );
}

function Tile({ label, value }: { label: string; value: number | string }) {
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

import { admin, type AdminRouting } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { Link } from "../router";
import { percent, when } from "../format";

/** Recent route decisions (the venue chosen and why) and each venue's routing figures. */
export function Routing() {
  const api = useApi();
  const result = useLoad<AdminRouting>(() => admin(api).routing(50), [], 10_000);
  return (
    <main id="main" tabIndex={-1}>
      <h1>Routing</h1>
      <DataView result={result} what="routing">
        {(data) => (
          <>
            <section aria-labelledby="venue-stats">
              <h2 id="venue-stats">Per venue, last 24 h</h2>
              {data.venues.length === 0 ? (
                <p className="empty">No venue has routed an order yet.</p>
              ) : (
                <table>
                  <caption className="sr-only">Routing per venue</caption>
                  <thead>
                    <tr>
                      <th scope="col">Venue</th>
                      <th scope="col">Routed</th>
                      <th scope="col">Failed</th>
                      <th scope="col">In flight</th>
                      <th scope="col">Breaker</th>
                      <th scope="col">Success by pair</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.venues.map((venue) => (
                      <tr key={venue.venue}>
                        <th scope="row">{venue.venue}</th>
                        <td>{venue.routed_24h}</td>
                        <td>{venue.failed_24h}</td>
                        <td>{venue.in_flight}</td>
                        <td>{venue.breaker_state ?? "–"}</td>
                        <td>
                          {Object.entries(venue.success_rate_by_pair)
                            .map(([pair, rate]) => `${pair} ${percent(rate)}`)
                            .join(", ") || "–"}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section aria-labelledby="decisions">
              <h2 id="decisions">Recent decisions</h2>
              {data.decisions.length === 0 ? (
                <p className="empty">No order has been routed yet.</p>
              ) : (
                <table>
                  <caption className="sr-only">The latest route decisions, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Decided</th>
                      <th scope="col">Order</th>
                      <th scope="col">User</th>
                      <th scope="col">Order</th>
                      <th scope="col">Chosen</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.decisions.map((d) => (
                      <tr key={`${d.order_id}-${d.attempt}`}>
                        <td>{when(d.decided_at)}</td>
                        <td className="mono">
                          {d.order_id.slice(0, 8)}
                          {d.attempt > 1 && ` (attempt ${d.attempt})`}
                        </td>
                        <td>
                          <Link to={`/users/${d.user_id}`}>{d.user_id.slice(0, 8)}</Link>
                        </td>
                        <td>
                          {d.side} {d.quantity} {d.symbol} {d.kind}
                        </td>
                        <td>
                          <strong>{d.chosen}</strong>
                        </td>
                        <td>{d.why ?? "–"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </DataView>
    </main>
  );
}

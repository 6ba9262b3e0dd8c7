import { Fragment } from "react";
import { admin, type AdminRouting, type Candidate, type Decision } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { Link } from "../router";
import { amount, ms, percent, when } from "../format";

/** Recent route decisions (the venue chosen, why, and every candidate's factors) and each
 * venue's routing figures. */
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
                      <th scope="col">What</th>
                      <th scope="col">Chosen</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.decisions.map((d) => (
                      <Fragment key={`${d.order_id}-${d.attempt}`}>
                        <tr>
                          <td>{when(d.decided_at)}</td>
                          <td className="mono">
                            {d.order_id.slice(0, 8)}
                            {d.attempt > 0 && ` (re-route ${d.attempt})`}
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
                        <tr>
                          <td colSpan={6}>
                            <Candidates decision={d} />
                          </td>
                        </tr>
                      </Fragment>
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

/** Every venue considered for one decision, the winner marked, with the factors it was scored
 * on: eligibility (or why not), score (lowest wins), expected cost and its parts. */
function Candidates({ decision }: { decision: Decision }) {
  const candidates = decision.candidates;
  if (candidates.length === 0) return <p className="hint">No candidate was recorded.</p>;
  return (
    <details>
      <summary>
        {candidates.length} {candidates.length === 1 ? "candidate" : "candidates"} and their factors
      </summary>
      <table className="candidates">
        <caption className="sr-only">
          Candidates for order {decision.order_id.slice(0, 8)}; {decision.chosen} won
        </caption>
        <thead>
          <tr>
            <th scope="col">Venue</th>
            <th scope="col">Eligible</th>
            <th scope="col">Score</th>
            <th scope="col">Expected cost</th>
            <th scope="col">Fee</th>
            <th scope="col">Slippage</th>
            <th scope="col">Latency risk</th>
            <th scope="col">Expected price</th>
            <th scope="col">Success</th>
            <th scope="col">Latency</th>
            <th scope="col">Queue</th>
          </tr>
        </thead>
        <tbody>
          {candidates.map((c) => (
            <CandidateRow key={c.venue} candidate={c} won={c.venue === decision.chosen} />
          ))}
        </tbody>
      </table>
    </details>
  );
}

function CandidateRow({ candidate: c, won }: { candidate: Candidate; won: boolean }) {
  return (
    <tr className={won ? "winner" : undefined}>
      <th scope="row">
        {c.venue}
        {won && <span className="badge badge-good"> chosen</span>}
      </th>
      <td>{c.eligible ? "yes" : `no: ${(c.reason ?? "not eligible").replace(/_/g, " ")}`}</td>
      <td>{amount(c.score, 6)}</td>
      <td>{amount(c.expected_cost, 6)}</td>
      <td>{amount(c.fee, 6)}</td>
      <td>{amount(c.slippage, 6)}</td>
      <td>{amount(c.latency_risk, 6)}</td>
      <td>{amount(c.expected_price, 6)}</td>
      <td>{percent(c.success_rate)}</td>
      <td>{ms(c.latency_ms)}</td>
      <td>{c.queue_load ?? "–"}</td>
    </tr>
  );
}

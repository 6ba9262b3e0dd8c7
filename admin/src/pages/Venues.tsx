import { useState, type FormEvent } from "react";
import { admin, type VenueFaults, type VenueHealth } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { useAction } from "../components/useAction";
import { DataView } from "../components/DataView";
import { Breaker } from "./Overview";
import { ms, percent } from "../format";

const RATES = [
  ["error_rate", "Error rate"],
  ["timeout_rate", "Timeout rate"],
  ["rate_limit_rate", "Rate-limit rate"],
  ["lookup_error_rate", "Lookup error rate"],
] as const;
type RateField = (typeof RATES)[number][0];

/** Per venue: breaker, queue, latency, success; reset a breaker; faults on simulated venues. */
export function Venues() {
  const api = useApi();
  const calls = admin(api);
  const venues = useLoad<VenueHealth[]>(() => calls.venues(), [], 10_000);
  const action = useAction();

  const reset = (venue: string) =>
    action.start({
      title: `Reset the breaker of ${venue}?`,
      body: <p>Orders are routed to {venue} again at once, before its cool-down ends.</p>,
      confirmLabel: "Reset breaker",
      perform: () => calls.resetBreaker(venue),
      success: (view) => `${venue}'s breaker is ${(view as VenueHealth).breaker_state.replace("_", " ")}.`,
      onDone: venues.reload,
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Venues</h1>
      {action.element}
      <DataView
        result={venues}
        what="venues"
        isEmpty={(list) => list.length === 0}
        empty="No venue is configured."
      >
        {(list) => (
          <>
            <table>
              <caption className="sr-only">Venue health</caption>
              <thead>
                <tr>
                  <th scope="col">Venue</th>
                  <th scope="col">Breaker</th>
                  <th scope="col">Queue</th>
                  <th scope="col">In flight</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                  <th scope="col">Success</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((venue) => (
                  <tr key={venue.venue}>
                    <th scope="row">{venue.venue}</th>
                    <td>
                      <Breaker state={venue.breaker_state} />
                    </td>
                    <td>{venue.queue_depth}</td>
                    <td>{venue.in_flight}</td>
                    <td>{ms(venue.latency_p50_ms)}</td>
                    <td>{ms(venue.latency_p99_ms)}</td>
                    <td>{percent(venue.success_rate)}</td>
                    <td>
                      <button
                        type="button"
                        onClick={() => reset(venue.venue)}
                        disabled={action.busy}
                        aria-label={`Reset the breaker of ${venue.venue}`}
                      >
                        Reset breaker…
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Faults venues={list.map((v) => v.venue)} start={action.start} busy={action.busy} />
          </>
        )}
      </DataView>
    </main>
  );
}

function Faults({
  venues,
  start,
  busy,
}: {
  venues: string[];
  start: ReturnType<typeof useAction>["start"];
  busy: boolean;
}) {
  const api = useApi();
  const [venue, setVenue] = useState(venues[0] ?? "");
  const [rates, setRates] = useState<Record<RateField, string>>({
    error_rate: "0",
    timeout_rate: "0",
    rate_limit_rate: "0",
    lookup_error_rate: "0",
  });
  const apply = (clear: boolean) => {
    const rate = (field: RateField) => (clear ? 0 : Number(rates[field]));
    const body: VenueFaults = {
      error_rate: rate("error_rate"),
      timeout_rate: rate("timeout_rate"),
      rate_limit_rate: rate("rate_limit_rate"),
      lookup_error_rate: rate("lookup_error_rate"),
    };
    start({
      title: clear ? `Clear the faults of ${venue}?` : `Inject faults into ${venue}?`,
      body: (
        <p>
          Simulation only: {clear ? "the simulated venue behaves normally again." : "the simulated venue fails orders at these rates: "}
          {!clear && RATES.map(([field, label]) => `${label} ${body[field]}`).join(", ")}
        </p>
      ),
      confirmLabel: clear ? "Clear faults" : "Inject faults",
      danger: !clear,
      perform: () => admin(api).setFaults(venue, body),
      success: () => (clear ? `Faults cleared on ${venue}.` : `Faults injected into ${venue}.`),
    });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    apply(false);
  };
  return (
    <section className="simulation" aria-labelledby="faults">
      <h2 id="faults">Fault injection — simulation only</h2>
      <p>
        For simulated venues only (the API refuses it on a real exchange). It makes the simulator
        fail, time out or rate-limit orders, to exercise breakers and re-routing.
      </p>
      <form onSubmit={submit} aria-label="Fault injection (simulation only)">
        <label htmlFor="fault-venue">Simulated venue</label>
        <select id="fault-venue" value={venue} onChange={(event) => setVenue(event.target.value)}>
          {venues.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <div className="grid">
          {RATES.map(([field, label]) => (
            <div key={field}>
              <label htmlFor={`fault-${field}`}>{label} (0 to 1)</label>
              <input
                id={`fault-${field}`}
                type="number"
                min={0}
                max={1}
                step="any"
                required
                value={rates[field]}
                onChange={(event) => setRates({ ...rates, [field]: event.target.value })}
              />
            </div>
          ))}
        </div>
        <div className="actions">
          <button type="submit" className="danger" disabled={busy || !venue}>
            Inject faults…
          </button>
          <button type="button" onClick={() => apply(true)} disabled={busy || !venue}>
            Clear faults…
          </button>
        </div>
      </form>
    </section>
  );
}

/** A user's trading for support, read-only: their bot, latest orders, positions and exchange
 * credentials (metadata only: the API never returns a secret, so none can be shown). */
import { admin, type Bot, type Credential, type Order, type Position } from "../../api/admin";
import { useApi } from "../../context";
import { useLoad } from "../../hooks";
import { DataView } from "../../components/DataView";
import { amount, when } from "../../format";

export const ORDERS_SHOWN = 20;

export function BotSection({ id }: { id: string }) {
  const api = useApi();
  const bot = useLoad<Bot>(() => admin(api).userBot(id), [id]);
  return (
    <section aria-labelledby="bot">
      <h2 id="bot">Bot</h2>
      <DataView result={bot} what="the bot">
        {(data) => (
          <>
            <dl className="facts">
              <dt>Status</dt>
              <dd>
                <span className={`badge badge-${data.status === "running" ? "good" : data.status === "paused" ? "warn" : "neutral"}`}>
                  {data.status}
                </span>
                {data.paused_reason && <> {data.paused_reason}</>}
              </dd>
              <dt>Mode</dt>
              <dd>{data.mode}</dd>
              <dt>Venue and pairs</dt>
              <dd>
                {data.venue}: {data.pairs.join(", ") || "none"} ({data.timeframe})
              </dd>
              <dt>Risk</dt>
              <dd>
                {data.risk_level}, at most {amount(data.max_position_usd)} USD a position, equity{" "}
                {amount(data.equity_usd)} USD
              </dd>
              <dt>Last signal</dt>
              <dd>{when(data.last_signal_at)}</dd>
            </dl>
            {data.open_positions.length > 0 && (
              <table>
                <caption>The bot's open positions</caption>
                <thead>
                  <tr>
                    <th scope="col">Symbol</th>
                    <th scope="col">Venue</th>
                    <th scope="col">Status</th>
                    <th scope="col">Quantity (left)</th>
                    <th scope="col">Entry</th>
                    <th scope="col">Stop</th>
                    <th scope="col">Targets hit</th>
                  </tr>
                </thead>
                <tbody>
                  {data.open_positions.map((p) => (
                    <tr key={p.id}>
                      <th scope="row">{p.symbol}</th>
                      <td>{p.venue}</td>
                      <td>{p.status}</td>
                      <td>
                        {amount(p.quantity)} ({amount(p.remaining)})
                      </td>
                      <td>{amount(p.entry_price)}</td>
                      <td>{amount(p.stop)}</td>
                      <td>
                        {p.targets_hit} of {p.targets.length}
                        {p.trailing && ", trailing"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </DataView>
    </section>
  );
}

export function OrdersSection({ id }: { id: string }) {
  const api = useApi();
  const orders = useLoad(() => admin(api).userOrders(id, ORDERS_SHOWN), [id]);
  return (
    <section aria-labelledby="orders">
      <h2 id="orders">Latest orders</h2>
      <DataView
        result={orders}
        what="the orders"
        isEmpty={(list) => list.items.length === 0}
        empty="No orders yet."
      >
        {(list) => <OrdersTable orders={list.items} />}
      </DataView>
    </section>
  );
}

function OrdersTable({ orders }: { orders: Order[] }) {
  return (
    <table>
      <caption className="sr-only">The user's latest {ORDERS_SHOWN} orders, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Placed</th>
          <th scope="col">Order</th>
          <th scope="col">Venue</th>
          <th scope="col">Status</th>
          <th scope="col">Filled</th>
          <th scope="col">Average price</th>
          <th scope="col">Fees</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr key={o.id}>
            <td>{when(o.created_at)}</td>
            <th scope="row">
              {[o.side, amount(o.quantity), o.symbol, o.type].filter(Boolean).join(" ")}
              {o.limit_price && ` at ${amount(o.limit_price)}`}
              <div className="mono hint">{o.id.slice(0, 8)}</div>
            </th>
            <td>{o.venue ?? "–"}</td>
            <td>
              {o.status.replace("_", " ")}
              {o.reason && <div className="hint">{o.reason}</div>}
            </td>
            <td>{amount(o.filled_quantity)}</td>
            <td>{amount(o.average_price)}</td>
            <td>
              {amount(o.fees)} {o.fee_currency ?? ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PositionsSection({ id }: { id: string }) {
  const api = useApi();
  const positions = useLoad<Position[]>(() => admin(api).userPositions(id), [id]);
  return (
    <section aria-labelledby="positions">
      <h2 id="positions">Positions</h2>
      <DataView
        result={positions}
        what="the positions"
        isEmpty={(list) => list.length === 0}
        empty="No positions."
      >
        {(list) => (
          <table>
            <caption className="sr-only">The user's positions with their profit and loss</caption>
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col">Venue</th>
                <th scope="col">Status</th>
                <th scope="col">Quantity</th>
                <th scope="col">Average entry</th>
                <th scope="col">Mark</th>
                <th scope="col">Unrealised</th>
                <th scope="col">Realised</th>
                <th scope="col">Fees</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.position_id}>
                  <th scope="row">{p.symbol}</th>
                  <td>{p.venue}</td>
                  <td>{p.status}</td>
                  <td>{amount(p.quantity)}</td>
                  <td>{amount(p.average_entry)}</td>
                  <td>{amount(p.mark_price)}</td>
                  <td>{amount(p.unrealised_pnl)}</td>
                  <td>{amount(p.realised_pnl)}</td>
                  <td>{amount(p.fees)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataView>
    </section>
  );
}

export function CredentialsSection({ id }: { id: string }) {
  const api = useApi();
  const credentials = useLoad<Credential[]>(() => admin(api).userCredentials(id), [id]);
  return (
    <section aria-labelledby="credentials">
      <h2 id="credentials">Exchange credentials</h2>
      <p className="hint">Metadata only: the platform never shows a key's secret, to anyone.</p>
      <DataView
        result={credentials}
        what="the credentials"
        isEmpty={(list) => list.length === 0}
        empty="No exchange credentials stored."
      >
        {(list) => (
          <table>
            <caption className="sr-only">The user's exchange credentials, metadata only</caption>
            <thead>
              <tr>
                <th scope="col">Venue</th>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
                <th scope="col">Verification</th>
                <th scope="col">Permissions</th>
                <th scope="col">Balances</th>
                <th scope="col">Stored</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    {c.venue} <span className="hint">({c.environment})</span>
                  </th>
                  <td>
                    <span className="mono">…{c.key_hint}</span>
                    {c.label && <div>{c.label}</div>}
                    <div className="hint">version {c.version}</div>
                  </td>
                  <td>
                    <span className={`badge badge-${c.status === "active" ? "good" : "bad"}`}>
                      {c.status}
                    </span>
                  </td>
                  <td>
                    {c.verification}
                    {c.verified_at && <div className="hint">{when(c.verified_at)}</div>}
                    {c.refusal_reason && <div className="hint">{c.refusal_reason}</div>}
                  </td>
                  <td>
                    {c.permissions.join(", ") || "–"}
                    {c.markets ? <div className="hint">{c.markets} markets</div> : null}
                  </td>
                  <td>
                    {Object.entries(c.balances ?? {})
                      .map(([asset, held]) => `${amount(held)} ${asset}`)
                      .join(", ") || "–"}
                  </td>
                  <td>
                    {when(c.created_at)}
                    {c.rotated_at && <div className="hint">rotated {when(c.rotated_at)}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataView>
    </section>
  );
}

import type { QueryClient, QueryKey } from "@tanstack/react-query";
import type { components } from "../api/schema";
import type { Overview } from "../api/readside";
import type { LiveMessage, Revisions } from "./socket";

type OrderView = components["schemas"]["OrderView"];
type OrderList = components["schemas"]["OrderList"];

/** What a fill changes besides the order itself. */
const AFTER_FILL = [["positions"], ["position"], ["bot"], ["credentials"], ["overview"], ["activity"]];

const revisionOf = (message: LiveMessage): number | undefined =>
  typeof message.revision === "number" ? message.revision : undefined;

/** First loads already due to be fetched again once they settle (one follow-up each). */
const fetchAgain = new WeakSet<object>();

/**
 * Refetch what a push changed, read after the push. A push comes after its change committed,
 * but a load already in flight may have been read before it. react-query restarts a refetch of
 * data on screen when invalidated, yet a first load (no data yet) is only joined: its answer,
 * possibly without the change, would then count as fresh and nothing would fetch again (the
 * Activity tab opened just as a close was pushed kept showing no close). Such a load is
 * invalidated once more when it settles, however many pushes arrived meanwhile.
 */
export function refresh(client: QueryClient, queryKey: QueryKey): void {
  const firstLoads = client
    .getQueryCache()
    .findAll({ queryKey, fetchStatus: "fetching" })
    .filter((query) => query.state.data === undefined && !fetchAgain.has(query));
  firstLoads.forEach((query) => fetchAgain.add(query));
  const settled = client.invalidateQueries({ queryKey });
  if (!firstLoads.length) return;
  void settled.then(() =>
    firstLoads.forEach((query) => {
      fetchAgain.delete(query);
      void client.invalidateQueries({ queryKey: query.queryKey, exact: true });
    }),
  );
}

function field<T>(value: unknown, name: string): T | undefined {
  return (value as Record<string, unknown> | null | undefined)?.[name] as T | undefined;
}

/**
 * Fold one live message into the query cache. Every push carries a revision; per thing shown
 * (an order, a position, a venue's balance, the P&L, the bot, a trade) the highest wins and an
 * older one arriving late is dropped.
 */
export function applyLive(client: QueryClient, revisions: Revisions, message: LiveMessage): void {
  const invalidate = (...keys: string[][]) => keys.forEach((queryKey) => refresh(client, queryKey));
  switch (message.type) {
    case "order.updated":
    case "order.filled": {
      const order = message.order as OrderView | undefined;
      if (!order?.id || !revisions.accept(`order:${order.id}`, order.revision)) return;
      client.setQueryData<OrderList>(["dashboard-orders"], (list) => {
        if (!list) return list;
        const known = list.items.find((item) => item.id === order.id);
        if (known && known.revision > order.revision) return list;
        return { ...list, items: [order, ...list.items.filter((item) => item.id !== order.id)] };
      });
      if (message.type === "order.filled" || order.status === "filled") invalidate(...AFTER_FILL);
      return;
    }
    case "notification.created":
      invalidate(["notifications"]);
      return;
    case "position.updated": {
      const id = field<string>(message.position, "id");
      if (!id || !revisions.accept(`position:${id}`, revisionOf(message))) return;
      // A close's activity line (its P&L, why it closed) comes with its position's update.
      invalidate(["positions"], ["position", id], ["overview"], ["activity"]);
      return;
    }
    case "pnl.updated": {
      if (!revisions.accept("pnl", revisionOf(message))) return;
      client.setQueryData<Overview>(["overview"], (overview) =>
        overview
          ? { ...overview, pnl: message.pnl as Overview["pnl"], unrealised_pnl: message.unrealised_pnl as string }
          : overview,
      );
      return;
    }
    case "balance.updated": {
      const venue = field<string>(message.balance, "venue");
      if (!venue || !revisions.accept(`balance:${venue}`, revisionOf(message))) return;
      invalidate(["overview"], ["credentials"]);
      return;
    }
    case "bot.status":
      if (!revisions.accept("bot", revisionOf(message))) return;
      invalidate(["bot"], ["overview"]);
      return;
    case "trade.executed": {
      const id = field<string>(message.trade, "id");
      if (!id || !revisions.accept(`trade:${id}`, revisionOf(message))) return;
      invalidate(["activity"], ["overview"]);
      return;
    }
    default:
      return;
  }
}

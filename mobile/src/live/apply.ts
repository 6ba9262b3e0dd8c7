import type { QueryClient } from "@tanstack/react-query";
import type { components } from "../api/schema";
import type { LiveMessage, Revisions } from "./socket";

type OrderView = components["schemas"]["OrderView"];
type OrderList = components["schemas"]["OrderList"];

/** What a fill changes besides the order itself. */
const AFTER_FILL = [["positions"], ["position"], ["bot"], ["credentials"], ["overview"], ["activity"]];

function revisionOf(value: unknown): number | undefined {
  const revision = (value as { revision?: unknown } | null)?.revision;
  return typeof revision === "number" ? revision : undefined;
}

function idOf(value: unknown, ...fields: string[]): string | undefined {
  for (const field of fields) {
    const id = (value as Record<string, unknown> | null)?.[field];
    if (typeof id === "string") return id;
  }
  return undefined;
}

/** Fold one live message into the query cache; the highest revision of each item wins. */
export function applyLive(client: QueryClient, revisions: Revisions, message: LiveMessage): void {
  const invalidate = (...keys: string[][]) =>
    keys.forEach((queryKey) => void client.invalidateQueries({ queryKey }));
  switch (message.type) {
    case "order.updated":
    case "order.filled": {
      const order = message.order as OrderView | undefined;
      if (!order?.id || !revisions.accept(`order:${order.id}`, order.revision)) return;
      client.setQueryData<OrderList>(["dashboard-orders"], (list) => {
        if (!list) return list;
        const known = list.items.find((item) => item.id === order.id);
        if (known && known.revision > order.revision) return list;
        const others = list.items.filter((item) => item.id !== order.id);
        return { ...list, items: [order, ...others] };
      });
      if (message.type === "order.filled" || order.status === "filled") invalidate(...AFTER_FILL);
      return;
    }
    case "notification.created":
      invalidate(["notifications"]);
      return;
    case "position.updated": {
      const position = message.position ?? message;
      const id = idOf(position, "position_id", "id");
      if (id && !revisions.accept(`position:${id}`, revisionOf(position))) return;
      invalidate(["positions"], ["position"], ["overview"]);
      return;
    }
    case "bot.status":
      if (!revisions.accept("bot", revisionOf(message.bot ?? message))) return;
      invalidate(["bot"], ["overview"]);
      return;
    case "pnl.updated":
    case "balance.updated":
      if (!revisions.accept(message.type, revisionOf(message))) return;
      invalidate(["overview"], ["credentials"], ["positions"]);
      return;
    case "trade.executed":
      invalidate(...AFTER_FILL);
      return;
    default:
      return;
  }
}

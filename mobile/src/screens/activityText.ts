import type { ActivityItem } from "../api/readside";
import { capitalise, price, qty } from "../lib/format";

export type ActivityTag = "Buy" | "Sell" | "Take Profit" | "Stop Loss" | "Closed" | "Bot" | "Security";

/** The tag an activity line carries (read out too): what kind of event, in the seed's words. */
export function tagOf(item: Pick<ActivityItem, "type" | "side" | "exit_reason">): ActivityTag {
  if (item.type === "bot") return "Bot";
  if (item.type === "security") return "Security";
  if (item.type === "close") {
    if (item.exit_reason === "take_profit") return "Take Profit";
    if (item.exit_reason === "stop_loss") return "Stop Loss";
    return "Closed";
  }
  return item.side === "sell" ? "Sell" : "Buy";
}

export function toneOf(tag: ActivityTag): "gain" | "loss" | "neutral" {
  return tag === "Buy" || tag === "Take Profit" ? "gain" : tag === "Sell" || tag === "Stop Loss" ? "loss" : "neutral";
}

/** One line saying what happened. */
export function describe(item: ActivityItem): string {
  switch (item.type) {
    case "trade":
      return `${capitalise(item.side ?? "")} ${qty(item.quantity)} ${item.symbol ?? ""} at ${price(item.price)} on ${capitalise(item.venue ?? "")}`;
    case "close":
      return `Closed ${item.symbol ?? ""} on ${capitalise(item.venue ?? "")}${item.exit_reason ? ` (${item.exit_reason.replace(/_/g, " ")})` : ""}`;
    case "bot":
      return `Bot ${item.status ?? ""}${item.reason ? `: ${item.reason.replace(/_/g, " ")}` : ""}`;
    default:
      return capitalise(item.reason ?? item.status ?? "Security event");
  }
}

/**
 * The dashboard's read side (overview, positions, chart, activity and its CSV), written against
 * the shapes of the branch that adds it: the committed OpenAPI snapshot does not describe it
 * yet, so it is typed here and called through `rawCall`. When the snapshot has it, these types
 * become `Schemas[...]` and the calls the typed client's (as preferences and price alerts did).
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useApi, useServices } from "../services";
import { unwrap } from "./errors";
import { rawCall } from "./pending";
import type { Schemas } from "./queries";

export type PeriodFigures = { pnl: string; pnl_pct: string | null; trades: number; closed: number; win_rate: string | null; fees: string };
export type Periods = { today: PeriodFigures; "7d": PeriodFigures; "30d": PeriodFigures; all: PeriodFigures };
export type ActivityType = "trade" | "close" | "bot" | "security";
export type ActivityItem = {
  id: string;
  type: ActivityType;
  at: string;
  venue: string | null;
  symbol: string | null;
  side: string | null;
  quantity: string | null;
  price: string | null;
  fee: string | null;
  fee_currency: string | null;
  pnl: string | null;
  pnl_pct: string | null;
  realised_pnl: string | null;
  exit_reason: string | null;
  status: string | null;
  previous: string | null;
  reason: string | null;
  order_id: string | null;
  client_order_id: string | null;
  position_id: string | null;
  cycle: number | null;
  revision: number;
};
export type DashPosition = {
  id: string;
  cycle: number;
  venue: string;
  symbol: string;
  side: "long" | "short";
  status: "open" | "closed";
  size: string;
  entry_price: string;
  current_price: string;
  amount: string;
  value: string;
  realised_pnl: string;
  unrealised_pnl: string;
  pnl: string;
  pnl_pct: string | null;
  fees: string;
  opened_at: string;
  closed_at: string | null;
  duration_seconds: number;
  exit_reason: string | null;
  revision: number;
};
export type StrategyBlock = {
  signal_id: string | null;
  signal: string | null;
  timeframe: string | null;
  signal_at: string | null;
  entry_score: number | null;
  conditions: string[];
  stop: string;
  targets: string[];
  targets_hit: number;
  trailing: boolean;
  bot_status: string;
  close_reason: string | null;
};
export type PositionDetail = DashPosition & {
  marked_at: string | null;
  entry_order_id: string | null;
  exit_order_id: string | null;
  strategy: StrategyBlock | null;
};
export type PositionPage = {
  items: DashPosition[];
  next_cursor: string | null;
  summary: { open: number; closed: number; value: string; unrealised: string };
};
/** `points` are the bars' start (`t`) and close (`price`), oldest first. */
export type PositionChart = {
  position_id: string;
  cycle: number;
  range: string;
  start: string;
  end: string;
  points: { t: string; price: string }[];
  entry: string;
  exit: string | null;
  stop: string | null;
  targets: string[];
};
export type BalanceView = { venue: string; balances: Record<string, string>; equity_usd: string; reported_at: string; revision: number };
export type Overview = {
  timezone: string;
  bot: { status: "off" | "running" | "paused"; previous: string | null; reason: string | null; changed_at: string | null; revision: number };
  equity_usd: string;
  balances: BalanceView[];
  pnl: Periods;
  unrealised_pnl: string;
  open_positions: DashPosition[];
  last_trade: ActivityItem | null;
  activity: ActivityItem[];
};
export type ActivityPage = { items: ActivityItem[]; next_cursor: string | null };
export type Preferences = Schemas["PreferencesView"];
export type PriceAlert = Schemas["PriceAlertView"];

export type PositionFilters = { venue?: string; symbol?: string; status?: "open" | "closed"; pnl?: "positive" | "negative" };
export type ActivityFilters = { type?: ActivityType; venue?: string; symbol?: string; pnl?: "positive" | "negative"; from?: string; to?: string };

export function useOverview() {
  const { session } = useServices();
  return useQuery({ queryKey: ["overview"], queryFn: () => rawCall<Overview>(session, "GET", "/v1/dashboard/overview") });
}

export function useDashPositions(filters: PositionFilters) {
  const { session } = useServices();
  return useInfiniteQuery({
    queryKey: ["positions", "dashboard", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      rawCall<PositionPage>(session, "GET", "/v1/dashboard/positions", { query: { ...filters, limit: 50, cursor: pageParam } }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData, // a new filter keeps the list on screen until it answers
  });
}

export function useDashPosition(id: string) {
  const { session } = useServices();
  return useQuery({
    queryKey: ["position", id],
    queryFn: () => rawCall<PositionDetail>(session, "GET", `/v1/dashboard/positions/${encodeURIComponent(id)}`),
  });
}

export function useChart(id: string, range: string) {
  const { session } = useServices();
  return useQuery({
    queryKey: ["position", id, "chart", range],
    refetchInterval: 30_000, // a new bar closes every minute
    queryFn: () => rawCall<PositionChart>(session, "GET", `/v1/dashboard/positions/${encodeURIComponent(id)}/chart`, { query: { range } }),
  });
}

export function useActivity(filters: ActivityFilters) {
  const { session } = useServices();
  return useInfiniteQuery({
    queryKey: ["activity", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      rawCall<ActivityPage>(session, "GET", "/v1/dashboard/activity", { query: { ...filters, limit: 30, cursor: pageParam } }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData, // a new filter keeps the list on screen until it answers
  });
}

export function usePreferences() {
  const api = useApi();
  return useQuery({ queryKey: ["notification-prefs"], queryFn: () => unwrap(api.GET("/v1/notifications/preferences")) });
}

export function usePriceAlerts() {
  const api = useApi();
  return useQuery({ queryKey: ["price-alerts"], queryFn: () => unwrap(api.GET("/v1/price-alerts")) });
}

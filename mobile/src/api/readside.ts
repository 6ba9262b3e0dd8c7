/**
 * The dashboard's read side (overview, positions, a position and its chart, activity and its
 * CSV, notification preferences and price alerts). Every shape here is the generated schema's
 * (`schema.d.ts`, from docs/openapi.json) and every call goes through the typed client: when
 * the API changes a field, a filter or a path, `npm run generate` then `tsc --noEmit` fails
 * here or in the screen that reads it, instead of the app reading `undefined` at run time.
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useApi } from "../services";
import { unwrap } from "./errors";
import type { Schemas } from "./queries";
import type { operations } from "./schema";

export type PeriodFigures = Schemas["PeriodFigures"];
export type Periods = Schemas["Periods"];
export type ActivityItem = Schemas["ActivityItem"];
export type ActivityType = ActivityItem["type"];
export type ActivityPage = Schemas["ActivityPage"];
export type DashPosition = Schemas["PositionCard"];
export type StrategyBlock = Schemas["StrategyBlock"];
export type PositionDetail = Schemas["PositionDetail"];
export type PositionPage = Schemas["PositionPage"];
/** `points` are the bars' start (`t`) and close (`price`), oldest first. */
export type PositionChart = Schemas["PositionChart"];
export type ChartRange = NonNullable<QueryOf<"V1DashboardPositionsPositionIdChartChart">["range"]>;
export type BalanceView = Schemas["BalanceView"];
export type Overview = Schemas["Overview"];
export type Preferences = Schemas["PreferencesView"];
export type PriceAlert = Schemas["PriceAlertView"];

/** An operation's query parameters, as the schema has them. */
type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;
/** What a screen filters by: the operation's query without the paging the hook adds. */
type Filters<Op extends keyof operations> = Omit<QueryOf<Op>, "limit" | "cursor">;

export type PositionFilters = Filters<"V1DashboardPositionsListPositions">;
export type ActivityFilters = Filters<"V1DashboardActivityActivity">;
export type ExportQuery = QueryOf<"V1DashboardActivityExportExport">;

export function useOverview() {
  const api = useApi();
  return useQuery({ queryKey: ["overview"], queryFn: () => unwrap(api.GET("/v1/dashboard/overview")) });
}

export function useDashPositions(filters: PositionFilters) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ["positions", "dashboard", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/dashboard/positions", { params: { query: { ...filters, limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData, // a new filter keeps the list on screen until it answers
  });
}

export function useDashPosition(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: ["position", id],
    queryFn: () => unwrap(api.GET("/v1/dashboard/positions/{position_id}", { params: { path: { position_id: id } } })),
  });
}

export function useChart(id: string, range: ChartRange) {
  const api = useApi();
  return useQuery({
    queryKey: ["position", id, "chart", range],
    refetchInterval: 30_000, // a new bar closes every minute
    queryFn: () =>
      unwrap(
        api.GET("/v1/dashboard/positions/{position_id}/chart", {
          params: { path: { position_id: id }, query: { range } },
        }),
      ),
  });
}

export function useActivity(filters: ActivityFilters) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: ["activity", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/dashboard/activity", { params: { query: { ...filters, limit: 30, cursor: pageParam } } })),
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

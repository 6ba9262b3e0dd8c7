import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { ActivityIndicator, SectionList, StyleSheet, View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import type { Schemas } from "../api/queries";
import { capitalise, dateTime, day, price, qty, usd } from "../lib/format";
import { exportActivityCsv } from "../lib/exportCsv";
import { useApi, useServices } from "../services";
import { Button } from "../ui/Button";
import { Banner, Card, Row, Segmented, Tag } from "../ui/parts";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";
import { usePalette } from "../ui/theme";

type Order = Schemas["OrderSummary"];
export type ActivityTag = "Buy" | "Sell" | "Take Profit" | "Stop Loss";
type TypeFilter = "all" | ActivityTag;
const PAGE = 30;

export function tagOf(order: Pick<Order, "side" | "signal">): ActivityTag {
  if (order.signal === "profit_take") return "Take Profit";
  if (order.signal === "stop_loss") return "Stop Loss";
  return order.side === "buy" ? "Buy" : "Sell";
}

export function ActivityScreen() {
  const api = useApi();
  const { session } = useServices();
  const palette = usePalette();
  const [type, setType] = useState<TypeFilter>("all");
  const [venue, setVenue] = useState("all");
  const [exporting, setExporting] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const query = useInfiniteQuery({
    queryKey: ["activity", "orders"],
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/v1/orders", { params: { query: { limit: PAGE, offset: pageParam } } })),
    getNextPageParam: (last) => (last.items.length < last.limit ? undefined : last.offset + last.limit),
  });
  const all = useMemo(() => (query.data?.pages ?? []).flatMap((page) => page.items), [query.data]);
  const venues = ["all", ...new Set(all.map((o) => o.venue).filter(Boolean))];
  const sections = useMemo(() => {
    const groups = new Map<string, Order[]>();
    for (const order of all) {
      if (type !== "all" && tagOf(order) !== type) continue;
      if (venue !== "all" && order.venue !== venue) continue;
      const key = day(order.created_at);
      groups.set(key, [...(groups.get(key) ?? []), order]);
    }
    return [...groups].map(([title, data]) => ({ title, data }));
  }, [all, type, venue]);
  const exportCsv = async () => {
    setExportError(null);
    try {
      setExporting(await exportActivityCsv(session, venue === "all" ? {} : { venue }));
    } catch (failure) {
      setExportError(messageOf(failure));
    }
  };
  const header = (
    <View style={styles.header}>
      <Segmented
        label="Type"
        options={(["all", "Buy", "Sell", "Take Profit", "Stop Loss"] as const).map((t) => ({ value: t, label: t === "all" ? "All" : t }))}
        value={type}
        onChange={setType}
      />
      <Segmented label="Venue" options={venues.map((v) => ({ value: v, label: v === "all" ? "All venues" : capitalise(v) }))} value={venue} onChange={setVenue} />
      <Button kind="secondary" title="Export CSV" accessibilityLabel="Export activity as CSV" onPress={() => void exportCsv()} />
      {exporting ? <Text accessibilityLiveRegion="polite">Exported {exporting}</Text> : null}
      {exportError ? <Banner tone="danger" text={`Export failed: ${exportError}`} /> : null}
      <QueryState query={{ ...query, data: query.data?.pages, refetch: () => query.refetch() }} what="activity" isEmpty={() => all.length === 0} empty={<Text variant="muted">No activity yet. Trades, closes and bot changes appear here.</Text>}>
        {() => (sections.length === 0 ? <Text variant="muted">Nothing matches these filters.</Text> : null)}
      </QueryState>
    </View>
  );
  return (
    <SectionList
      testID="activity"
      style={{ backgroundColor: palette.background }}
      contentContainerStyle={styles.list}
      sections={sections}
      keyExtractor={(order) => order.id}
      ListHeaderComponent={header}
      refreshing={query.isRefetching && !query.isFetchingNextPage}
      onRefresh={() => void query.refetch()}
      onEndReachedThreshold={0.5}
      onEndReached={() => {
        if (query.hasNextPage && !query.isFetchingNextPage) void query.fetchNextPage();
      }}
      renderSectionHeader={({ section }) => (
        <Text variant="heading" style={{ marginTop: 12 }}>
          {section.title}
        </Text>
      )}
      renderItem={({ item }) => <ActivityItem order={item} />}
      ListFooterComponent={query.isFetchingNextPage ? <ActivityIndicator accessibilityLabel="Loading more" /> : null}
    />
  );
}

function ActivityItem({ order }: { order: Order }) {
  const tag = tagOf(order);
  return (
    <Card label={`${tag} ${order.symbol} ${order.status}`} style={{ marginTop: 8 }}>
      <View style={{ flexDirection: "row", gap: 8, alignItems: "center" }}>
        <Tag text={tag} tone={tag === "Buy" || tag === "Take Profit" ? "gain" : "loss"} />
        <Text style={{ flex: 1, fontWeight: "600" }}>
          {order.symbol} · {capitalise(order.venue)}
        </Text>
      </View>
      <Row label="Filled" value={`${qty(order.filled_quantity)} of ${qty(order.quantity)}`} />
      <Row label="Price" value={price(order.average_price ?? order.limit_price)} />
      <Row label="Fees" value={usd(order.fees)} />
      <Row label={capitalise(order.status)} value={dateTime(order.updated_at)} />
      {order.reject_reason ? <Text variant="muted">{order.reject_reason}</Text> : null}
    </Card>
  );
}

const styles = StyleSheet.create({
  list: { padding: 16, paddingBottom: 48, maxWidth: 720, width: "100%", alignSelf: "center" },
  header: { gap: 12 },
});

import { useFocusEffect } from "expo-router";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ActivityIndicator, SectionList, StyleSheet, View } from "react-native";
import { useQueryClient } from "@tanstack/react-query";
import { messageOf } from "../api/errors";
import { useActivity, type ActivityFilters, type ActivityItem, type ActivityType } from "../api/readside";
import { capitalise, day, dateTime, price, qty, usd } from "../lib/format";
import { exportActivityCsv } from "../lib/exportCsv";
import { useApi } from "../services";
import { Button } from "../ui/Button";
import { Banner, Card, Pnl, Row, Segmented, Tag } from "../ui/parts";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";
import { usePalette } from "../ui/theme";
import { describe, tagOf, toneOf } from "./activityText";

type TypeFilter = "all" | ActivityType;
type Span = "all" | "today" | "7d" | "30d";
const DAY_MS = 86_400_000;

function since(span: Span, now = Date.now()): string | undefined {
  if (span === "all") return undefined;
  if (span === "today") {
    const start = new Date(now);
    start.setHours(0, 0, 0, 0);
    return start.toISOString();
  }
  return new Date(now - (span === "7d" ? 7 : 30) * DAY_MS).toISOString();
}

export function ActivityScreen() {
  const api = useApi();
  const palette = usePalette();
  const [type, setType] = useState<TypeFilter>("all");
  const [venue, setVenue] = useState("all");
  const [pnl, setPnl] = useState<"all" | "positive" | "negative">("all");
  const [span, setSpan] = useState<Span>("all");
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const filters: ActivityFilters = useMemo(
    () => ({
      type: type === "all" ? undefined : type,
      venue: venue === "all" ? undefined : venue,
      pnl: pnl === "all" ? undefined : pnl,
      from: since(span),
    }),
    [type, venue, pnl, span],
  );
  const query = useActivity(filters);
  useRefetchOnFocus();
  const pages = query.data?.pages;
  const items = useMemo(() => (pages ?? []).flatMap((page) => page.items), [pages]);
  // Venues seen so far stay offered while a venue filter narrows the list.
  const [venues, setVenues] = useState<string[]>(["all"]);
  useEffect(() => {
    const fresh = items.map((i) => i.venue).filter((v): v is string => !!v && !venues.includes(v));
    if (fresh.length) setVenues([...venues, ...new Set(fresh)]);
  }, [items, venues]);
  const sections = useMemo(() => {
    const groups = new Map<string, ActivityItem[]>();
    for (const item of items) {
      const key = day(item.at);
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    return [...groups].map(([title, data]) => ({ title, data }));
  }, [items]);
  const exportCsv = async () => {
    setExportError(null);
    setExported(null);
    try {
      setExported(await exportActivityCsv(api, { venue: filters.venue, from: filters.from }));
    } catch (failure) {
      setExportError(messageOf(failure));
    }
  };
  const header = (
    <View style={styles.header}>
      <Segmented
        label="Type"
        options={[
          { value: "all", label: "All" },
          { value: "trade", label: "Trades" },
          { value: "close", label: "Closes" },
          { value: "bot", label: "Bot" },
          { value: "security", label: "Security" },
        ] as const}
        value={type}
        onChange={setType}
      />
      <Segmented label="Venue" options={venues.map((v) => ({ value: v, label: v === "all" ? "All venues" : capitalise(v) }))} value={venue} onChange={setVenue} />
      <Segmented label="P&L" options={[{ value: "all", label: "Any P&L" }, { value: "positive", label: "Gains" }, { value: "negative", label: "Losses" }] as const} value={pnl} onChange={setPnl} />
      <Segmented label="When" options={[{ value: "all", label: "All time" }, { value: "today", label: "Today" }, { value: "7d", label: "7 days" }, { value: "30d", label: "30 days" }] as const} value={span} onChange={setSpan} />
      <Button kind="secondary" title="Export CSV" accessibilityLabel="Export activity as CSV" onPress={() => void exportCsv()} />
      {exported ? <Text accessibilityLiveRegion="polite">Exported {exported}</Text> : null}
      {exportError ? <Banner tone="danger" text={`Export failed: ${exportError}`} /> : null}
      <QueryState
        query={{ ...query, data: pages, refetch: () => query.refetch() }}
        what="activity"
        isEmpty={() => items.length === 0}
        empty={<Text variant="muted">{type === "all" && venue === "all" && pnl === "all" && span === "all" ? "No activity yet. Trades, closes and bot changes appear here." : "Nothing matches these filters."}</Text>}
      >
        {() => null}
      </QueryState>
    </View>
  );
  return (
    <SectionList
      testID="activity"
      style={{ backgroundColor: palette.background }}
      contentContainerStyle={styles.list}
      sections={sections}
      keyExtractor={(item) => item.id}
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
      renderItem={({ item }) => <Entry item={item} />}
      ListFooterComponent={
        query.isFetchingNextPage ? (
          <ActivityIndicator accessibilityLabel="Loading more" />
        ) : query.hasNextPage ? (
          <Button kind="secondary" title="Load more" onPress={() => void query.fetchNextPage()} />
        ) : null
      }
    />
  );
}

/**
 * Coming back to the tab refetches a stale list (the tab stays mounted, so react-query sees no
 * new mount; and on a phone the browser's window focus never fires). The first focus is the
 * mount, which loads anyway.
 */
function useRefetchOnFocus(): void {
  const client = useQueryClient();
  const mounted = useRef(false);
  useFocusEffect(
    useCallback(() => {
      if (mounted.current) void client.refetchQueries({ queryKey: ["activity"], type: "active", stale: true });
      mounted.current = true;
    }, [client]),
  );
}

function Entry({ item }: { item: ActivityItem }) {
  const tag = tagOf(item);
  return (
    <Card label={`${tag}: ${describe(item)}`} style={{ marginTop: 8 }}>
      <View style={{ flexDirection: "row", gap: 8, alignItems: "center" }}>
        <Tag text={tag} tone={toneOf(tag)} />
        <Text style={{ flex: 1, fontWeight: "600" }}>{describe(item)}</Text>
      </View>
      {item.type === "trade" ? (
        <>
          <Row label="Quantity" value={qty(item.quantity)} />
          <Row label="Price" value={price(item.price)} />
          <Row label="Fee" value={item.fee ? `${item.fee_currency === "USD" || !item.fee_currency ? usd(item.fee) : `${qty(item.fee)} ${item.fee_currency}`}` : "—"} />
        </>
      ) : null}
      {item.type === "close" && item.realised_pnl ? <Pnl value={item.realised_pnl} percent={item.pnl_pct} label="Realised P&L" /> : null}
      <Text variant="muted">{dateTime(item.at)}</Text>
    </Card>
  );
}

const styles = StyleSheet.create({
  list: { padding: 16, paddingBottom: 48, maxWidth: 720, width: "100%", alignSelf: "center" },
  header: { gap: 12 },
});

import { useRouter } from "expo-router";
import { useMemo, useState } from "react";
import { View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import { useAction } from "../api/queries";
import { useDashPositions, type DashPosition } from "../api/readside";
import { capitalise, duration, price, qty, usd } from "../lib/format";
import { useApi } from "../services";
import { Button } from "../ui/Button";
import { useConfirm } from "../ui/Confirm";
import { Field } from "../ui/Field";
import { useNow } from "../ui/hooks";
import { Banner, Card, Pnl, Row, Screen, Segmented } from "../ui/parts";
import { QueryState } from "../ui/QueryState";
import { SwipeRow } from "../ui/SwipeRow";
import { Text } from "../ui/Text";

type PnlFilter = "all" | "positive" | "negative";
type AgeFilter = "all" | "1h" | "1d" | "older";
type Closable = { id: string; symbol: string; venue: string; size: string };

/** One tap is one close: the server answers a second close of the same position with 409. */
export function useClosePosition() {
  const api = useApi();
  const confirm = useConfirm();
  return useAction(
    async (position: Closable) => {
      const ok = await confirm({
        title: `Close ${position.symbol}?`,
        message: `Sell ${qty(position.size)} ${position.symbol} on ${capitalise(position.venue)} at market now.`,
        confirm: "Close now",
        destructive: true,
      });
      if (!ok) return null;
      return unwrap(api.POST("/v1/positions/{position_id}/close", { params: { path: { position_id: position.id } } }));
    },
    [["positions"], ["position"], ["overview"], ["activity"], ["bot"]],
  );
}

const AGES = [
  { value: "all", label: "Any age" },
  { value: "1h", label: "< 1 h" },
  { value: "1d", label: "< 1 day" },
  { value: "older", label: "Older" },
] as const;

export function PositionsScreen() {
  const router = useRouter();
  const close = useClosePosition();
  const now = useNow();
  const [search, setSearch] = useState("");
  const [venue, setVenue] = useState("all");
  const [pnl, setPnl] = useState<PnlFilter>("all");
  const [ageFilter, setAgeFilter] = useState<AgeFilter>("all");
  const query = useDashPositions({
    status: "open",
    venue: venue === "all" ? undefined : venue,
    pnl: pnl === "all" ? undefined : pnl,
  });
  const pages = query.data?.pages;
  const summary = pages?.[0]?.summary;
  const items = useMemo(() => (pages ?? []).flatMap((page) => page.items), [pages]);
  const venues = useMemo(() => ["all", ...new Set([...items.map((p) => p.venue), ...(venue === "all" ? [] : [venue])])], [items, venue]);
  const shown = items.filter((p) => {
    const hours = (now - Date.parse(p.opened_at)) / 3_600_000;
    return (
      (!search.trim() || p.symbol.toLowerCase().includes(search.trim().toLowerCase())) &&
      (ageFilter === "all" || (ageFilter === "1h" ? hours < 1 : ageFilter === "1d" ? hours < 24 : hours >= 24))
    );
  });
  return (
    <Screen testID="positions" refreshing={query.isRefetching} onRefresh={() => void query.refetch()}>
      {summary ? (
        <Card label="Positions summary">
          <Row label="Open" value={String(summary.open)} />
          <Row label="Closed" value={String(summary.closed)} />
          <Row label="Value" value={usd(summary.value)} />
          <Row label="Unrealised" value={<Pnl value={summary.unrealised} label="Unrealised P&L" />} />
        </Card>
      ) : null}
      <Field label="Search by pair" value={search} onChangeText={setSearch} placeholder="e.g. BTC" />
      <Segmented label="Venue" options={venues.map((v) => ({ value: v, label: v === "all" ? "All venues" : capitalise(v) }))} value={venue} onChange={setVenue} />
      <Segmented label="P&L" options={[{ value: "all", label: "Any P&L" }, { value: "positive", label: "Gains" }, { value: "negative", label: "Losses" }] as const} value={pnl} onChange={setPnl} />
      <Segmented label="Duration" options={AGES} value={ageFilter} onChange={setAgeFilter} />
      {close.error ? <Banner tone="danger" text={messageOf(close.error)} /> : null}
      {close.data ? <Banner text="Close sent: a market order sells the position." /> : null}
      <QueryState
        query={{ ...query, data: pages, refetch: () => query.refetch() }}
        what="positions"
        isEmpty={() => shown.length === 0}
        empty={<Text variant="muted">{items.length || venue !== "all" || pnl !== "all" ? "No position matches these filters." : "No open positions."}</Text>}
      >
        {() => (
          <>
            {shown.map((p) => (
              <PositionCard
                key={`${p.id}:${p.cycle}`}
                position={p}
                now={now}
                closing={close.isPending && close.variables?.id === p.id}
                onClose={() => close.mutate(p)}
                onOpen={() => router.push(`/position/${p.id}`)}
                onAlert={() => router.push(`/price-alert?symbol=${encodeURIComponent(p.symbol)}`)}
              />
            ))}
            {query.hasNextPage ? (
              <Button kind="secondary" title="Load more" busy={query.isFetchingNextPage} onPress={() => void query.fetchNextPage()} />
            ) : null}
          </>
        )}
      </QueryState>
    </Screen>
  );
}

function PositionCard({
  position: p,
  now,
  closing,
  onClose,
  onOpen,
  onAlert,
}: {
  position: DashPosition;
  now: number;
  closing: boolean;
  onClose: () => void;
  onOpen: () => void;
  onAlert: () => void;
}) {
  const card = (
    <Card label={`${p.symbol} on ${capitalise(p.venue)}`}>
      <Text variant="heading">
        {p.symbol} · {capitalise(p.venue)}
      </Text>
      <Row label="Entry" value={price(p.entry_price)} />
      <Row label="Current" value={price(p.current_price)} />
      <Row label="Size" value={qty(p.size)} />
      <Row label="P&L" value={<Pnl value={p.pnl} percent={p.pnl_pct} label={`${p.symbol} P&L`} />} />
      <Row label="Duration" value={duration(p.opened_at, now)} />
      <View style={{ flexDirection: "row", gap: 8, flexWrap: "wrap" }}>
        <Button kind="secondary" title="Details" accessibilityLabel={`Details of ${p.symbol}`} onPress={onOpen} />
        <Button kind="secondary" title="Price alert" accessibilityLabel={`Price alert for ${p.symbol}`} onPress={onAlert} />
        <Button kind="danger" title="Close" accessibilityLabel={`Close ${p.symbol}`} busy={closing} onPress={onClose} />
      </View>
    </Card>
  );
  return (
    <SwipeRow
      right={
        <View style={{ justifyContent: "center", paddingLeft: 8 }}>
          <Button kind="danger" title="Close" accessibilityLabel={`Swipe action: close ${p.symbol}`} onPress={onClose} />
        </View>
      }
      left={
        <View style={{ justifyContent: "center", paddingRight: 8 }}>
          <Button title="Alert" accessibilityLabel={`Swipe action: price alert for ${p.symbol}`} onPress={onAlert} />
        </View>
      }
    >
      {card}
    </SwipeRow>
  );
}

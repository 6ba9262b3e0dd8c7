import { useRouter } from "expo-router";
import { useMemo, useState } from "react";
import { View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import { useAction, useBot, usePositions, type Position } from "../api/queries";
import { add, dec, mul } from "../lib/decimal";
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

type PnlFilter = "all" | "gain" | "loss";
type AgeFilter = "all" | "1h" | "1d" | "older";

/** One tap is one close: the server answers a second close of the same position with 409. */
export function useClosePosition() {
  const api = useApi();
  const confirm = useConfirm();
  return useAction(
    async (position: Position) => {
      const ok = await confirm({
        title: `Close ${position.symbol}?`,
        message: `Sell ${qty(position.quantity)} ${position.symbol} on ${capitalise(position.venue)} at market now.`,
        confirm: "Close now",
        destructive: true,
      });
      if (!ok) return null;
      return unwrap(
        api.POST("/v1/positions/{position_id}/close", {
          params: { path: { position_id: position.position_id } },
        }),
      );
    },
    [["positions"], ["position"], ["dashboard-orders"], ["bot"]],
  );
}

export function PositionsScreen() {
  const router = useRouter();
  const positions = usePositions();
  const bot = useBot();
  const close = useClosePosition();
  const now = useNow();
  const [search, setSearch] = useState("");
  const [venue, setVenue] = useState("all");
  const [pnl, setPnl] = useState<PnlFilter>("all");
  const [ageFilter, setAgeFilter] = useState<AgeFilter>("all");
  const opened = useMemo(() => {
    const map = new Map<string, string>();
    for (const p of bot.data?.open_positions ?? []) map.set(`${p.venue}:${p.symbol}`, p.opened_at);
    return map;
  }, [bot.data]);
  const open = (positions.data ?? []).filter((p) => p.status === "open");
  const venues = ["all", ...new Set(open.map((p) => p.venue))];
  const shown = open.filter((p) => {
    const since = opened.get(`${p.venue}:${p.symbol}`);
    const hours = since ? (now - Date.parse(since)) / 3_600_000 : null;
    const u = dec(p.unrealised_pnl);
    return (
      (!search || p.symbol.toLowerCase().includes(search.trim().toLowerCase())) &&
      (venue === "all" || p.venue === venue) &&
      (pnl === "all" || (pnl === "gain" ? u > 0n : u < 0n)) &&
      (ageFilter === "all" ||
        (hours !== null && (ageFilter === "1h" ? hours < 1 : ageFilter === "1d" ? hours < 24 : hours >= 24)))
    );
  });
  const value = add(...open.map((p) => mul(dec(p.mark_price ?? p.average_entry), dec(p.quantity))));
  const unrealised = add(...open.map((p) => dec(p.unrealised_pnl)));
  return (
    <Screen testID="positions" refreshing={positions.isRefetching} onRefresh={() => void positions.refetch()}>
      <Card label="Positions summary">
        <Row label="Open" value={String(open.length)} />
        <Row label="Closed" value={String((positions.data ?? []).length - open.length)} />
        <Row label="Value" value={usd(value)} />
        <Row label="Unrealised" value={<Pnl value={unrealised} label="Unrealised P&L" />} />
      </Card>
      <Field label="Search by pair" value={search} onChangeText={setSearch} placeholder="BTC/USD" />
      <Segmented label="Venue" options={venues.map((v) => ({ value: v, label: v === "all" ? "All venues" : capitalise(v) }))} value={venue} onChange={setVenue} />
      <Segmented label="P&L" options={[{ value: "all", label: "Any P&L" }, { value: "gain", label: "Gains" }, { value: "loss", label: "Losses" }] as const} value={pnl} onChange={setPnl} />
      <Segmented label="Duration" options={[{ value: "all", label: "Any age" }, { value: "1h", label: "< 1 h" }, { value: "1d", label: "< 1 day" }, { value: "older", label: "Older" }] as const} value={ageFilter} onChange={setAgeFilter} />
      {close.error ? <Banner tone="danger" text={messageOf(close.error)} /> : null}
      <QueryState
        query={positions}
        what="positions"
        isEmpty={() => shown.length === 0}
        empty={<Text variant="muted">{open.length ? "No position matches these filters." : "No open positions."}</Text>}
      >
        {() =>
          shown.map((p) => (
            <PositionCard
              key={p.position_id}
              position={p}
              since={opened.get(`${p.venue}:${p.symbol}`)}
              now={now}
              closing={close.isPending && close.variables?.position_id === p.position_id}
              onClose={() => close.mutate(p)}
              onOpen={() => router.push(`/position/${p.position_id}`)}
              onAlert={() => router.push(`/price-alert?symbol=${encodeURIComponent(p.symbol)}`)}
            />
          ))
        }
      </QueryState>
    </Screen>
  );
}

function PositionCard({
  position: p,
  since,
  now,
  closing,
  onClose,
  onOpen,
  onAlert,
}: {
  position: Position;
  since?: string;
  now: number;
  closing: boolean;
  onClose: () => void;
  onOpen: () => void;
  onAlert: () => void;
}) {
  const card = (
    <Card label={`${p.symbol} on ${capitalise(p.venue)}`}>
      <Text variant="heading">{p.symbol} · {capitalise(p.venue)}</Text>
      <Row label="Entry" value={price(p.average_entry)} />
      <Row label="Current" value={price(p.mark_price)} />
      <Row label="Size" value={qty(p.quantity)} />
      <Row label="P&L" value={<Pnl value={p.unrealised_pnl} label={`${p.symbol} P&L`} />} />
      <Row label="Duration" value={since ? duration(since, now) : "—"} />
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

import { useQuery } from "@tanstack/react-query";
import { useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";
import { messageOf, unwrap } from "../api/errors";
import { rawCall } from "../api/pending";
import { useBot, useSignals } from "../api/queries";
import { capitalise, duration, price, qty, usd } from "../lib/format";
import { useApi, useServices } from "../services";
import { Button } from "../ui/Button";
import { Banner, Card, Pnl, Row, Screen, Segmented } from "../ui/parts";
import { PriceChart, type ChartPoint } from "../ui/PriceChart";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";
import { useClosePosition } from "./Positions";

export const RANGES = ["1H", "4H", "1D", "1W", "1M", "ALL"] as const;
export type Range = (typeof RANGES)[number];
type Chart = { points: ChartPoint[]; entry?: string | null; stop?: string | null; targets?: string[] };

export function PositionDetailScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const router = useRouter();
  const api = useApi();
  const { session } = useServices();
  const [range, setRange] = useState<Range>("1D");
  const position = useQuery({
    queryKey: ["position", id],
    queryFn: () => unwrap(api.GET("/v1/positions/{position_id}", { params: { path: { position_id: id } } })),
  });
  const chart = useQuery({
    queryKey: ["position", id, "chart", range],
    queryFn: () => rawCall<Chart>(session, "GET", `/v1/dashboard/positions/${encodeURIComponent(id)}/chart`, { query: { range } }),
  });
  const bot = useBot();
  const signals = useSignals();
  const close = useClosePosition();
  const p = position.data;
  const protection = p ? bot.data?.open_positions.find((b) => b.venue === p.venue && b.symbol === p.symbol) : undefined;
  const signal = p ? signals.data?.signals.find((s) => s.symbol === p.symbol && s.venue === p.venue) : undefined;
  const score = signal?.detail && typeof signal.detail.score === "number" ? String(signal.detail.score) : null;
  return (
    <Screen testID="position-detail" refreshing={position.isRefetching} onRefresh={() => void position.refetch()}>
      <QueryState query={position} what="this position">
        {(data) => (
          <>
            <Text variant="title">{data.symbol} · {capitalise(data.venue)}</Text>
            <Pnl big value={data.status === "open" ? data.unrealised_pnl : data.realised_pnl} label="Position P&L" />
            <Segmented label="Chart range" options={RANGES.map((r) => ({ value: r, label: r }))} value={range} onChange={setRange} />
            <QueryState query={chart} what="the chart">
              {(c) => (
                <PriceChart
                  label={`${data.symbol} price, ${range}`}
                  points={c.points}
                  lines={{ entry: c.entry ?? data.average_entry, stop: c.stop ?? protection?.stop, target: c.targets?.[0] ?? protection?.targets[0] }}
                />
              )}
            </QueryState>
            <Card label="Details">
              <Text variant="heading">Details</Text>
              <Row label="Status" value={capitalise(data.status)} />
              <Row label="Entry" value={price(data.average_entry)} />
              <Row label="Current" value={price(data.mark_price)} />
              <Row label="Size" value={qty(data.quantity)} />
              <Row label="Realised" value={<Pnl value={data.realised_pnl} label="Realised P&L" />} />
              <Row label="Fees" value={usd(data.fees)} />
              <Row label="Duration" value={protection ? duration(protection.opened_at) : "—"} />
            </Card>
            <Card label="Strategy">
              <Text variant="heading">Strategy</Text>
              {protection ? (
                <>
                  <Row label="Signal" value={signal ? capitalise(signal.action) : "—"} />
                  <Row label="Score" value={score ?? "—"} />
                  <Row label="Stop" value={price(protection.stop)} />
                  <Row label="Targets" value={protection.targets.map((t) => price(t)).join(" · ") || "—"} />
                  <Row label="Targets hit" value={String(protection.targets_hit)} />
                  <Row label="Trailing stop" value={protection.trailing ? "On" : "Off"} />
                </>
              ) : (
                <Text variant="muted">Opened by hand (no bot signal, stop or targets).</Text>
              )}
            </Card>
            {close.error ? <Banner tone="danger" text={messageOf(close.error)} /> : null}
            {close.data ? <Banner text="Close sent: a market order sells the position." /> : null}
            {data.status === "open" ? (
              <Button
                kind="danger"
                title="Close now"
                accessibilityLabel={`Close ${data.symbol} now`}
                busy={close.isPending}
                disabled={!!close.data}
                onPress={() => close.mutate(data)}
              />
            ) : null}
            <Button kind="secondary" title="Price alert" onPress={() => router.push(`/price-alert?symbol=${encodeURIComponent(data.symbol)}`)} />
          </>
        )}
      </QueryState>
    </Screen>
  );
}

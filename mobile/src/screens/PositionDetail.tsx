import { useLocalSearchParams, useRouter } from "expo-router";
import { useState } from "react";
import { messageOf } from "../api/errors";
import { useChart, useDashPosition, type ChartRange, type PositionDetail } from "../api/readside";
import { capitalise, dateTime, duration, price, qty, usd } from "../lib/format";
import { Button } from "../ui/Button";
import { Banner, Card, Pnl, Row, Screen, Segmented } from "../ui/parts";
import { PriceChart } from "../ui/PriceChart";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";
import { useClosePosition } from "./Positions";

export const RANGES = ["1H", "4H", "1D", "1W", "1M", "ALL"] as const satisfies readonly ChartRange[];
export type Range = (typeof RANGES)[number];

export function PositionDetailScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const position = useDashPosition(id);
  return (
    <Screen testID="position-detail" refreshing={position.isRefetching} onRefresh={() => void position.refetch()}>
      <QueryState query={position} what="this position">
        {(data) => <Detail position={data} />}
      </QueryState>
    </Screen>
  );
}

function Detail({ position: p }: { position: PositionDetail }) {
  const router = useRouter();
  const [range, setRange] = useState<Range>("1D");
  const chart = useChart(p.id, range);
  const close = useClosePosition();
  const s = p.strategy;
  return (
    <>
      <Text variant="title">
        {p.symbol} · {capitalise(p.venue)}
      </Text>
      <Pnl big value={p.pnl} percent={p.pnl_pct} label="Position P&L" />
      <Segmented label="Chart range" options={RANGES.map((r) => ({ value: r, label: r }))} value={range} onChange={setRange} />
      <QueryState query={chart} what="the chart">
        {(c) => (
          <PriceChart
            label={`${p.symbol} price, ${range}`}
            points={c.points.map((point) => ({ at: point.t, price: point.price }))}
            lines={{ entry: c.entry, stop: c.stop, target: c.targets[0] ?? null }}
          />
        )}
      </QueryState>
      <Card label="Details">
        <Text variant="heading">Details</Text>
        <Row label="Status" value={capitalise(p.status)} />
        <Row label="Side" value={capitalise(p.side)} />
        <Row label="Entry" value={price(p.entry_price)} />
        <Row label="Current" value={price(p.current_price)} />
        <Row label="Size" value={qty(p.size)} />
        <Row label="Amount" value={usd(p.amount)} />
        <Row label="Value" value={usd(p.value)} />
        <Row label="Realised" value={<Pnl value={p.realised_pnl} label="Realised P&L" />} />
        <Row label="Unrealised" value={<Pnl value={p.unrealised_pnl} label="Unrealised P&L" />} />
        <Row label="Fees" value={usd(p.fees)} />
        <Row label="Opened" value={dateTime(p.opened_at)} />
        <Row label="Duration" value={p.closed_at ? duration(p.opened_at, Date.parse(p.closed_at)) : duration(p.opened_at)} />
        {p.exit_reason ? <Row label="Exit" value={capitalise(p.exit_reason)} /> : null}
      </Card>
      <Card label="Strategy">
        <Text variant="heading">Strategy</Text>
        {s ? (
          <>
            <Row label="Signal" value={s.signal ? `${capitalise(s.signal)}${s.timeframe ? ` · ${s.timeframe}` : ""}` : "—"} />
            <Row label="Entry score" value={s.entry_score === null ? "—" : `${s.entry_score} of 5`} />
            {s.conditions.length ? <Text variant="muted">{s.conditions.join(" · ")}</Text> : null}
            <Row label="Stop" value={price(s.stop)} />
            <Row label="Targets" value={s.targets.map((t) => price(t)).join(" · ") || "—"} />
            <Row label="Targets hit" value={String(s.targets_hit)} />
            <Row label="Trailing stop" value={s.trailing ? "On" : "Off"} />
          </>
        ) : (
          <Text variant="muted">Opened by hand (no bot signal, stop or targets).</Text>
        )}
      </Card>
      {close.error ? <Banner tone="danger" text={messageOf(close.error)} /> : null}
      {close.data ? <Banner text="Close sent: a market order sells the position." /> : null}
      {p.status === "open" ? (
        <Button
          kind="danger"
          title="Close now"
          accessibilityLabel={`Close ${p.symbol} now`}
          busy={close.isPending}
          disabled={!!close.data}
          onPress={() => close.mutate(p)}
        />
      ) : null}
      <Button kind="secondary" title="Price alert" onPress={() => router.push(`/price-alert?symbol=${encodeURIComponent(p.symbol)}`)} />
    </>
  );
}

import { useRouter } from "expo-router";
import { View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import { useAction, useBot, useCredentials, usePositions, useRecentOrders, type Bot } from "../api/queries";
import { add, dec, mul } from "../lib/decimal";
import { capitalise, dateTime, pct, price, qty, usd } from "../lib/format";
import { useApi, useLiveStatus } from "../services";
import { Button } from "../ui/Button";
import { useConfirm } from "../ui/Confirm";
import { Banner, Card, Pnl, Row, Screen, Tag, percentOf } from "../ui/parts";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";

const isToday = (iso: string) => new Date(iso).toDateString() === new Date().toDateString();

export function DashboardScreen() {
  const router = useRouter();
  const bot = useBot();
  const positions = usePositions();
  const orders = useRecentOrders();
  const credentials = useCredentials();
  const live = useLiveStatus();
  const refreshing = bot.isRefetching || positions.isRefetching || orders.isRefetching;
  const refresh = () => {
    void bot.refetch();
    void positions.refetch();
    void orders.refetch();
    void credentials.refetch();
  };
  const open = (positions.data ?? []).filter((p) => p.status === "open");
  const unrealised = add(...open.map((p) => dec(p.unrealised_pnl)));
  const realised = add(...(positions.data ?? []).map((p) => dec(p.realised_pnl)));
  const invested = add(...open.map((p) => mul(dec(p.average_entry), dec(p.quantity))));
  const closed = (positions.data ?? []).filter((p) => p.status !== "open");
  const wins = closed.filter((p) => dec(p.realised_pnl) > 0n).length;
  const filled = (orders.data?.items ?? []).filter((o) => o.status === "filled" || o.status === "partially_filled");
  const todayTrades = filled.filter((o) => isToday(o.updated_at)).length;
  const lastTrade = filled[0];
  return (
    <Screen testID="dashboard" refreshing={refreshing} onRefresh={refresh}>
      {live === "reconnecting" ? <Banner text="Live updates paused — reconnecting…" /> : null}
      <QueryState query={bot} what="your bot">
        {(data) => <BotCard bot={data} venues={(credentials.data ?? []).filter((c) => c.status === "active").map((c) => c.venue)} lastTrade={lastTrade ? `${capitalise(lastTrade.side ?? "")} ${qty(lastTrade.filled_quantity)} ${lastTrade.symbol ?? ""} at ${price(lastTrade.average_price)}, ${dateTime(lastTrade.updated_at)}` : "none yet"} />}
      </QueryState>
      <QueryState query={positions} what="your P&L">
        {() => (
          <Card label="Profit and loss">
            <Text variant="heading">P&L</Text>
            <Text variant="muted">Open positions now</Text>
            <Pnl big value={unrealised} percent={percentOf(unrealised, invested)} label="Unrealised P&L" />
            <Row label="Trades today" value={String(todayTrades)} />
            <Row label="Win rate" value={closed.length ? pct((wins / closed.length) * 100).replace("+", "") : "—"} />
            <Row label="All-time P&L" value={<Pnl value={add(realised, unrealised)} label="All-time P&L" />} />
          </Card>
        )}
      </QueryState>
      <Text variant="heading">Open positions</Text>
      <QueryState
        query={positions}
        what="positions"
        isEmpty={() => open.length === 0}
        empty={<Text variant="muted">No open positions. Your bot opens them when its signal fires.</Text>}
      >
        {() =>
          open.slice(0, 5).map((p) => (
            <Card key={p.position_id} label={`${p.symbol} on ${p.venue}`}>
              <Row label={`${p.symbol} · ${capitalise(p.venue)}`} value={qty(p.quantity)} />
              <Pnl value={p.unrealised_pnl} label={`${p.symbol} P&L`} />
              <Button kind="secondary" title="Details" accessibilityLabel={`Details of ${p.symbol}`} onPress={() => router.push(`/position/${p.position_id}`)} />
            </Card>
          ))
        }
      </QueryState>
      <Text variant="heading">Recent activity</Text>
      <QueryState
        query={orders}
        what="activity"
        isEmpty={(data) => data.items.length === 0}
        empty={<Text variant="muted">No trades yet.</Text>}
      >
        {(data) => data.items.slice(0, 5).map((order) => (
          <Card key={order.id} label={`${order.side} ${order.symbol} ${order.status}`}>
            <View style={{ flexDirection: "row", gap: 8, alignItems: "center" }}>
              <Tag text={order.side === "buy" ? "Buy" : "Sell"} tone={order.side === "buy" ? "gain" : "loss"} />
              <Text style={{ flex: 1 }}>{order.symbol} · {qty(order.filled_quantity)} of {qty(order.quantity)}</Text>
            </View>
            <Row label={capitalise(order.status)} value={order.average_price ? price(order.average_price) : dateTime(order.created_at)} />
          </Card>
        ))}
      </QueryState>
      <Button title="New order" onPress={() => router.push("/order")} />
    </Screen>
  );
}

function BotCard({ bot, venues, lastTrade }: { bot: Bot; venues: string[]; lastTrade: string }) {
  const api = useApi();
  const confirm = useConfirm();
  const running = bot.status === "running";
  const toggle = useAction(
    async () => {
      const ok = await confirm(
        running
          ? { title: "Pause the bot?", message: "It stops opening positions. Stops and targets keep protecting open ones.", confirm: "Pause", destructive: true }
          : { title: "Resume the bot?", message: "It trades again with your settings.", confirm: "Resume" },
      );
      if (!ok) return null;
      return unwrap(running ? api.POST("/v1/bot/pause") : api.POST("/v1/bot/start"));
    },
    [["bot"]],
  );
  const statusText = running ? "Active" : bot.status === "paused" ? `Paused${bot.paused_reason ? ` (${bot.paused_reason.replace(/_/g, " ")})` : ""}` : "Off";
  return (
    <Card label={`Bot ${statusText}`}>
      <Text variant="heading">Bot: {statusText}</Text>
      <Row label="Mode" value={bot.mode === "live" ? "Live" : "Paper"} />
      <Row label="Exchanges" value={venues.length ? venues.map(capitalise).join(", ") : "none connected"} />
      <Row label="Trades on" value={`${capitalise(bot.venue)} · ${bot.pairs.join(", ")}`} />
      <Row label="Last trade" value={lastTrade} />
      <Row label="Max position" value={usd(bot.max_position_usd)} />
      {toggle.error ? <Banner tone="danger" text={messageOf(toggle.error)} /> : null}
      <Button
        kind={running ? "danger" : "primary"}
        title={running ? "Pause" : "Resume"}
        accessibilityLabel={running ? "Pause the bot" : "Resume the bot"}
        busy={toggle.isPending}
        onPress={() => toggle.mutate(undefined)}
      />
    </Card>
  );
}

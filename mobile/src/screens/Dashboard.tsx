import { useRouter } from "expo-router";
import { View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import { useAction, useBot, type Bot } from "../api/queries";
import { useOverview, type ActivityItem, type Overview } from "../api/readside";
import { capitalise, dateTime, pct, price, qty, usd } from "../lib/format";
import { useApi, useLiveStatus } from "../services";
import { Button } from "../ui/Button";
import { useConfirm } from "../ui/Confirm";
import { Banner, Card, Pnl, Row, Screen, Tag } from "../ui/parts";
import { QueryState } from "../ui/QueryState";
import { Text } from "../ui/Text";
import { describe, tagOf, toneOf } from "./activityText";

export function DashboardScreen() {
  const router = useRouter();
  const bot = useBot();
  const overview = useOverview();
  const live = useLiveStatus();
  const refresh = () => {
    void bot.refetch();
    void overview.refetch();
  };
  return (
    <Screen testID="dashboard" refreshing={bot.isRefetching || overview.isRefetching} onRefresh={refresh}>
      {live === "reconnecting" ? <Banner text="Live updates paused — reconnecting…" /> : null}
      <QueryState query={bot} what="your bot">
        {(data) => <BotCard bot={data} overview={overview.data} />}
      </QueryState>
      <QueryState query={overview} what="your P&L">
        {(data) => <Figures overview={data} />}
      </QueryState>
      <Text variant="heading">Open positions</Text>
      <QueryState
        query={overview}
        what="positions"
        isEmpty={(data) => data.open_positions.length === 0}
        empty={<Text variant="muted">No open positions. Your bot opens them when its signal fires.</Text>}
      >
        {(data) =>
          data.open_positions.slice(0, 5).map((p) => (
            <Card key={`${p.id}:${p.cycle}`} label={`${p.symbol} on ${p.venue}`}>
              <Row label={`${p.symbol} · ${capitalise(p.venue)}`} value={`${qty(p.size)} at ${price(p.current_price)}`} />
              <Pnl value={p.pnl} percent={p.pnl_pct} label={`${p.symbol} P&L`} />
              <Button kind="secondary" title="Details" accessibilityLabel={`Details of ${p.symbol}`} onPress={() => router.push(`/position/${p.id}`)} />
            </Card>
          ))
        }
      </QueryState>
      <Text variant="heading">Recent activity</Text>
      <QueryState query={overview} what="activity" isEmpty={(data) => data.activity.length === 0} empty={<Text variant="muted">No trades yet.</Text>}>
        {(data) => data.activity.slice(0, 5).map((item) => <ActivityLine key={item.id} item={item} />)}
      </QueryState>
      <Button title="New order" onPress={() => router.push("/order")} />
    </Screen>
  );
}

function Figures({ overview }: { overview: Overview }) {
  const today = overview.pnl.today;
  const all = overview.pnl.all;
  return (
    <Card label="Profit and loss">
      <Text variant="heading">Today</Text>
      <Pnl big value={today.pnl} percent={today.pnl_pct} label="Today's P&L" />
      <Row label="Trades today" value={String(today.trades)} />
      <Row label="Win rate" value={today.win_rate === null ? "—" : pct(today.win_rate).replace("+", "")} />
      <Row label="All-time P&L" value={<Pnl value={all.pnl} percent={all.pnl_pct} label="All-time P&L" />} />
      <Row label="Open positions" value={`${overview.open_positions.length}`} />
      <Row label="Unrealised" value={<Pnl value={overview.unrealised_pnl} label="Unrealised P&L" />} />
      <Row label="Equity" value={usd(overview.equity_usd)} />
    </Card>
  );
}

export function ActivityLine({ item }: { item: ActivityItem }) {
  const tag = tagOf(item);
  return (
    <Card label={`${tag}: ${describe(item)}`}>
      <View style={{ flexDirection: "row", gap: 8, alignItems: "center" }}>
        <Tag text={tag} tone={toneOf(tag)} />
        <Text style={{ flex: 1 }}>{describe(item)}</Text>
      </View>
      {item.realised_pnl && item.type === "close" ? <Pnl value={item.realised_pnl} percent={item.pnl_pct} label="Realised P&L" /> : null}
      <Text variant="muted">{dateTime(item.at)}</Text>
    </Card>
  );
}

function BotCard({ bot, overview }: { bot: Bot; overview: Overview | undefined }) {
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
    [["bot"], ["overview"]],
  );
  const statusText = running ? "Active" : bot.status === "paused" ? `Paused${bot.paused_reason ? ` (${bot.paused_reason.replace(/_/g, " ")})` : ""}` : "Off";
  const venues = overview?.balances.map((b) => capitalise(b.venue)) ?? [];
  const last = overview?.last_trade;
  return (
    <Card label={`Bot ${statusText}`}>
      <Text variant="heading">Bot: {statusText}</Text>
      <Row label="Mode" value={bot.mode === "live" ? "Live" : "Paper"} />
      <Row label="Exchanges" value={venues.length ? venues.join(", ") : "none connected"} />
      <Row label="Trades on" value={`${capitalise(bot.venue)} · ${bot.pairs.join(", ")}`} />
      <Row label="Last trade" value={last ? `${describe(last)}, ${dateTime(last.at)}` : "none yet"} />
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

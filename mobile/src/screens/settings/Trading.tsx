import { useEffect, useState } from "react";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useBot, useTradingSettings } from "../../api/queries";
import { capitalise, usd } from "../../lib/format";
import { useApi } from "../../services";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/Confirm";
import { Field } from "../../ui/Field";
import { Banner, Card, Row, Screen, Segmented, Toggle } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

type Risk = "low" | "medium" | "high";
const RISKS = [
  { value: "low", label: "Low" },
  { value: "medium", label: "Medium" },
  { value: "high", label: "High" },
] as const;

/** Bot on/off, risk level, max position, max daily loss, allowed pairs, paper or live. */
export function TradingScreen() {
  const api = useApi();
  const confirm = useConfirm();
  const bot = useBot();
  const settings = useTradingSettings();
  const [risk, setRisk] = useState<Risk>("medium");
  const [maxPosition, setMaxPosition] = useState("");
  const [maxDailyLoss, setMaxDailyLoss] = useState("");
  const [pairs, setPairs] = useState("");
  useEffect(() => {
    if (bot.data) {
      setRisk(bot.data.risk_level as Risk);
      setMaxPosition(bot.data.max_position_usd);
    }
  }, [bot.data]);
  useEffect(() => {
    if (settings.data) {
      setMaxDailyLoss(settings.data.max_daily_loss_usd);
      setPairs((settings.data.allowed_pairs ?? []).join(", "));
    }
  }, [settings.data]);

  const refresh = [["bot"], ["trading"]];
  const onOff = useAction(async (on: boolean) => {
    const ok = await confirm(on
      ? { title: "Turn the bot on?", message: "It trades with these settings.", confirm: "Turn on" }
      : { title: "Pause the bot?", message: "Stops and targets keep protecting open positions.", confirm: "Pause", destructive: true });
    if (!ok) return null;
    return unwrap(on ? api.POST("/v1/bot/start") : api.POST("/v1/bot/pause"));
  }, refresh);
  const mode = useAction(async (live: boolean) => {
    const ok = await confirm(live
      ? { title: "Go live?", message: "Orders go to your exchange account with real money. You'll confirm with your second factor.", confirm: "Go live", destructive: true }
      : { title: "Back to paper?", message: "The bot stops using real money.", confirm: "Paper" });
    if (!ok) return null;
    return unwrap(api.PUT("/v1/bot", { body: { mode: live ? "live" : "paper" } }));
  }, refresh);
  const save = useAction(async () => {
    const allowed = pairs.split(/[,\s]+/).map((p) => p.trim().toUpperCase()).filter(Boolean);
    await unwrap(api.PUT("/v1/bot", { body: { risk_level: risk, max_position_usd: maxPosition } }));
    return unwrap(api.PATCH("/v1/settings/trading", {
      body: { risk_level: risk, max_position_usd: maxPosition, max_daily_loss_usd: maxDailyLoss || null, allowed_pairs: allowed.length ? allowed : null },
    }));
  }, refresh);
  const halt = useAction(async (active: boolean) => {
    if (active && !(await confirm({ title: "Halt all trading?", message: "Every open order is cancelled and nothing new is placed until you resume.", confirm: "Halt", destructive: true }))) return null;
    return unwrap(active ? api.POST("/v1/settings/trading/kill-switch") : api.DELETE("/v1/settings/trading/kill-switch"));
  }, refresh);
  const error = onOff.error ?? mode.error ?? save.error ?? halt.error;
  return (
    <Screen testID="settings-trading">
      <QueryState query={bot} what="your bot">
        {(b) => (
          <Card label="Bot">
            <Toggle label="Bot on" value={b.status === "running"} onChange={(on) => onOff.mutate(on)} hint={b.status === "paused" && b.paused_reason ? `Paused: ${b.paused_reason.replace(/_/g, " ")}` : undefined} />
            <Toggle label="Live trading (off: paper)" value={b.mode === "live"} onChange={(live) => mode.mutate(live)} />
            <Row label="Venue" value={capitalise(b.venue)} />
            <Row label="Strategy" value={`${b.strategy} · ${b.timeframe}`} />
          </Card>
        )}
      </QueryState>
      <QueryState query={settings} what="your limits">
        {(s) => (
          <>
            <Text variant="heading">Risk level</Text>
            <Segmented label="Risk level" options={RISKS} value={risk} onChange={setRisk} />
            <Field label="Max position (USD)" value={maxPosition} onChangeText={setMaxPosition} keyboardType="decimal-pad" hint={`Your tier allows ${usd(s.position_limit_usd)} (${s.position_limit_pct} % of equity).`} />
            <Field label="Max daily loss (USD)" value={maxDailyLoss} onChangeText={setMaxDailyLoss} keyboardType="decimal-pad" />
            <Field label="Allowed pairs" value={pairs} onChangeText={setPairs} autoCapitalize="characters" hint="Comma separated; empty allows every pair." />
            <Row label="Equity" value={`${usd(s.equity_usd)} (${s.equity_source ?? "settings"})`} />
            <Row label="Trades per day" value={String(s.trades_per_day)} />
            <Button title="Save limits" busy={save.isPending} onPress={() => save.mutate(undefined)} />
            {save.isSuccess ? <Text accessibilityLiveRegion="polite">Saved.</Text> : null}
            <Card label="Kill switch">
              <Text variant="heading">Kill switch</Text>
              <Text>{s.kill_switch ? `Trading is halted (${s.kill_switch}).` : "Trading is allowed."}</Text>
              <Button kind={s.kill_switch ? "primary" : "danger"} title={s.kill_switch ? "Resume trading" : "Halt trading now"} busy={halt.isPending} onPress={() => halt.mutate(!s.kill_switch)} />
            </Card>
          </>
        )}
      </QueryState>
      {error ? <Banner tone="danger" text={messageOf(error)} /> : null}
    </Screen>
  );
}

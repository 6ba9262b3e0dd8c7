import { useLocalSearchParams } from "expo-router";
import { useState } from "react";
import { View } from "react-native";
import { messageOf } from "../../api/errors";
import { unwrap } from "../../api/errors";
import { useAction } from "../../api/queries";
import { usePreferences, usePriceAlerts, type Preferences } from "../../api/readside";
import { dateTime, price } from "../../lib/format";
import { useApi } from "../../services";
import { Button } from "../../ui/Button";
import { Field } from "../../ui/Field";
import { Banner, Card, Screen, Segmented, Toggle } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

const TYPES: { key: keyof Preferences; label: string; hint: string }[] = [
  { key: "push_enabled", label: "Push notifications", hint: "Off silences every push below." },
  { key: "trade_alerts", label: "Trades", hint: "Trade executed, position closed, stop loss hit" },
  { key: "price_alerts", label: "Price alerts", hint: "When a pair crosses your price" },
  { key: "bot_alerts", label: "Bot status", hint: "Paused, resumed, halted" },
  { key: "daily_summary", label: "Daily summary", hint: "Trades, P&L and win rate once a day" },
];

/** Push on/off per type, and the daily summary's time (in the trader's time zone). */
export function PushPreferences() {
  const api = useApi();
  const prefs = usePreferences();
  const [time, setTime] = useState<string | null>(null);
  const save = useAction(
    (change: Partial<Omit<Preferences, "timezone">>) => unwrap(api.PUT("/v1/notifications/preferences", { body: change })),
    [["notification-prefs"]],
  );
  return (
    <Card label="Push per type">
      <Text variant="heading">What to push</Text>
      <QueryState query={prefs} what="your notification settings">
        {(data) => (
          <>
            {TYPES.map((type) => (
              <Toggle
                key={type.key}
                label={type.label}
                hint={type.hint}
                value={data[type.key] as boolean}
                disabled={type.key !== "push_enabled" && !data.push_enabled}
                onChange={(on) => save.mutate({ [type.key]: on })}
              />
            ))}
            <Field
              label="Daily summary at"
              value={time ?? data.daily_summary_time}
              onChangeText={setTime}
              hint={`HH:MM in ${data.timezone}`}
              onEndEditing={() => time && save.mutate({ daily_summary_time: time })}
            />
          </>
        )}
      </QueryState>
      {save.error ? <Banner tone="danger" text={messageOf(save.error)} /> : null}
    </Card>
  );
}

export function PriceAlerts() {
  const api = useApi();
  const alerts = usePriceAlerts();
  const remove = useAction(
    (id: string) => unwrap(api.DELETE("/v1/price-alerts/{alert_id}", { params: { path: { alert_id: id } } })),
    [["price-alerts"]],
  );
  return (
    <Card label="Your price alerts">
      <Text variant="heading">Your price alerts</Text>
      <QueryState query={alerts} what="price alerts" isEmpty={(data) => data.items.length === 0} empty={<Text variant="muted">No price alerts. Add one from a position.</Text>}>
        {(data) =>
          data.items.map((a) => (
            <View key={a.id} style={{ flexDirection: "row", alignItems: "center", gap: 8 }}>
              <Text style={{ flex: 1 }}>
                {a.symbol} {a.direction} {price(a.price)}
                {a.status === "triggered" ? ` · fired ${dateTime(a.triggered_at)} at ${price(a.triggered_price)}` : " · armed"}
              </Text>
              <Button kind="secondary" title="Delete" accessibilityLabel={`Delete alert ${a.symbol} ${a.direction} ${a.price}`} onPress={() => remove.mutate(a.id)} />
            </View>
          ))
        }
      </QueryState>
      {remove.error ? <Banner tone="danger" text={messageOf(remove.error)} /> : null}
    </Card>
  );
}

/** One-shot alert when a pair crosses a price (reached from a position's swipe or detail). */
export function PriceAlertScreen() {
  const api = useApi();
  const params = useLocalSearchParams<{ symbol?: string }>();
  const [symbol, setSymbol] = useState(params.symbol ?? "BTC/USD");
  const [direction, setDirection] = useState<"above" | "below">("above");
  const [level, setLevel] = useState("");
  const create = useAction(
    () => unwrap(api.POST("/v1/price-alerts", { body: { symbol: symbol.trim().toUpperCase(), direction, price: level.trim() } })),
    [["price-alerts"]],
  );
  return (
    <Screen testID="price-alert">
      <Text variant="title">Price alert</Text>
      <Field label="Pair" value={symbol} onChangeText={setSymbol} autoCapitalize="characters" />
      <Segmented label="When the price goes" options={[{ value: "above", label: "Above" }, { value: "below", label: "Below" }] as const} value={direction} onChange={setDirection} />
      <Field label="Price (USD)" value={level} onChangeText={setLevel} keyboardType="decimal-pad" />
      {create.error ? <Banner tone="danger" text={messageOf(create.error)} /> : null}
      {create.data ? (
        <Text accessibilityLiveRegion="polite">
          Alert set: {create.data.symbol} {create.data.direction} {price(create.data.price)}. It fires once.
        </Text>
      ) : null}
      <Button title="Set alert" busy={create.isPending} disabled={!symbol.trim() || !(Number(level) > 0)} onPress={() => create.mutate(undefined)} />
    </Screen>
  );
}

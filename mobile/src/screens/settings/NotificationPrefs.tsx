import { useQuery } from "@tanstack/react-query";
import { useLocalSearchParams } from "expo-router";
import { useState } from "react";
import { View } from "react-native";
import { messageOf } from "../../api/errors";
import { rawCall } from "../../api/pending";
import { useAction } from "../../api/queries";
import { capitalise, dateTime, price } from "../../lib/format";
import { useServices } from "../../services";
import { Button } from "../../ui/Button";
import { Field } from "../../ui/Field";
import { Banner, Card, Screen, Segmented, Toggle } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

type Preferences = Record<string, unknown>;
export type PriceAlert = { id: string; symbol: string; direction: "above" | "below"; price: string; created_at?: string; triggered_at?: string | null };

const PREFS = "/v1/notifications/preferences";
const ALERTS = "/v1/price-alerts";

/** Push on/off per type: one switch per boolean the platform keeps for the trader. */
export function PushPreferences() {
  const { session } = useServices();
  const prefs = useQuery({ queryKey: ["notification-prefs"], queryFn: () => rawCall<Preferences>(session, "GET", PREFS) });
  const save = useAction((change: Preferences) => rawCall<Preferences>(session, "PATCH", PREFS, { body: change }), [["notification-prefs"]]);
  return (
    <Card label="Push per type">
      <Text variant="heading">What to push</Text>
      <QueryState query={prefs} what="your notification settings">
        {(data) =>
          Object.entries(data)
            .filter(([, value]) => typeof value === "boolean")
            .map(([key, value]) => (
              <Toggle key={key} label={capitalise(key)} value={value as boolean} onChange={(on) => save.mutate({ [key]: on })} />
            ))
        }
      </QueryState>
      {save.error ? <Banner tone="danger" text={messageOf(save.error)} /> : null}
    </Card>
  );
}

export function usePriceAlerts() {
  const { session } = useServices();
  return useQuery({ queryKey: ["price-alerts"], queryFn: () => rawCall<PriceAlert[] | { items: PriceAlert[] }>(session, "GET", ALERTS) });
}

const itemsOf = (data: PriceAlert[] | { items: PriceAlert[] }) => (Array.isArray(data) ? data : data.items);

export function PriceAlerts() {
  const { session } = useServices();
  const alerts = usePriceAlerts();
  const remove = useAction((id: string) => rawCall(session, "DELETE", `${ALERTS}/${encodeURIComponent(id)}`), [["price-alerts"]]);
  return (
    <Card label="Price alerts">
      <Text variant="heading">Price alerts</Text>
      <QueryState query={alerts} what="price alerts" isEmpty={(data) => itemsOf(data).length === 0} empty={<Text variant="muted">No price alerts. Add one from a position.</Text>}>
        {(data) =>
          itemsOf(data).map((a) => (
            <View key={a.id} style={{ flexDirection: "row", alignItems: "center", gap: 8 }}>
              <Text style={{ flex: 1 }}>
                {a.symbol} {a.direction} {price(a.price)}{a.triggered_at ? ` · fired ${dateTime(a.triggered_at)}` : ""}
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
  const { session } = useServices();
  const params = useLocalSearchParams<{ symbol?: string }>();
  const [symbol, setSymbol] = useState(params.symbol ?? "BTC/USD");
  const [direction, setDirection] = useState<"above" | "below">("above");
  const [level, setLevel] = useState("");
  const create = useAction(
    () => rawCall<PriceAlert>(session, "POST", ALERTS, { body: { symbol: symbol.trim().toUpperCase(), direction, price: level.trim() } }),
    [["price-alerts"]],
  );
  return (
    <Screen testID="price-alert">
      <Text variant="title">Price alert</Text>
      <Field label="Pair" value={symbol} onChangeText={setSymbol} autoCapitalize="characters" />
      <Segmented label="When the price goes" options={[{ value: "above", label: "Above" }, { value: "below", label: "Below" }] as const} value={direction} onChange={setDirection} />
      <Field label="Price (USD)" value={level} onChangeText={setLevel} keyboardType="decimal-pad" />
      {create.error ? <Banner tone="danger" text={messageOf(create.error)} /> : null}
      {create.data ? <Text accessibilityLiveRegion="polite">Alert set: {create.data.symbol} {create.data.direction} {price(create.data.price)}.</Text> : null}
      <Button title="Set alert" busy={create.isPending} disabled={!symbol.trim() || !(Number(level) > 0)} onPress={() => create.mutate(undefined)} />
    </Screen>
  );
}

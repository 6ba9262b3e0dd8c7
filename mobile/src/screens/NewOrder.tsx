import { useRouter } from "expo-router";
import { useRef, useState } from "react";
import { messageOf, unwrap } from "../api/errors";
import { useAction, useVenues } from "../api/queries";
import { capitalise } from "../lib/format";
import { useApi } from "../services";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { Banner, Card, Row, Screen, Segmented } from "../ui/parts";
import { Text } from "../ui/Text";

function newKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Place an order by hand. The Idempotency-Key is made once per filled-in form, so a second tap
 * (or a retry after a lost answer) is the same order, not another.
 */
export function NewOrderScreen() {
  const api = useApi();
  const router = useRouter();
  const venues = useVenues();
  const [symbol, setSymbol] = useState("BTC/USD");
  const [side, setSide] = useState<"buy" | "sell">("buy");
  const [type, setType] = useState<"market" | "limit">("market");
  const [quantity, setQuantity] = useState("0.001");
  const [limit, setLimit] = useState("");
  const key = useRef(newKey());
  const symbols = [...new Set((venues.data ?? []).flatMap((v) => v.symbols))].sort();
  const place = useAction(
    () =>
      unwrap(
        api.POST("/v1/orders", {
          params: { header: { "Idempotency-Key": key.current } },
          body: { symbol, side, type, quantity, signal: side === "buy" ? "entry" : "exit", ...(type === "limit" ? { limit_price: limit } : {}) },
        }),
      ),
    [["dashboard-orders"], ["activity"]],
  );
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    key.current = newKey();
    place.reset();
    set(value);
  };
  return (
    <Screen testID="new-order">
      <Text variant="title">New order</Text>
      <Field label="Pair" value={symbol} onChangeText={edit(setSymbol)} autoCapitalize="characters" hint={symbols.length ? `e.g. ${symbols.slice(0, 4).join(", ")}` : undefined} />
      <Segmented label="Side" options={[{ value: "buy", label: "Buy" }, { value: "sell", label: "Sell" }] as const} value={side} onChange={edit(setSide)} />
      <Segmented label="Type" options={[{ value: "market", label: "Market" }, { value: "limit", label: "Limit" }] as const} value={type} onChange={edit(setType)} />
      <Field label="Quantity" value={quantity} onChangeText={edit(setQuantity)} keyboardType="decimal-pad" />
      {type === "limit" ? <Field label="Limit price (USD)" value={limit} onChangeText={edit(setLimit)} keyboardType="decimal-pad" /> : null}
      {place.error ? <Banner tone="danger" text={messageOf(place.error)} /> : null}
      {place.data ? (
        <Card label="Order placed">
          <Text variant="heading">Order sent</Text>
          <Row label="Status" value={capitalise(place.data.status)} />
          <Row label="Routed to" value={capitalise(place.data.venue)} />
          <Button kind="secondary" title="See activity" onPress={() => router.push("/activity")} />
        </Card>
      ) : null}
      <Button
        title={`${side === "buy" ? "Buy" : "Sell"} ${quantity || "…"} ${symbol}`}
        busy={place.isPending}
        disabled={!symbol || !(Number(quantity) > 0) || (type === "limit" && !(Number(limit) > 0)) || !!place.data}
        onPress={() => place.mutate(undefined)}
      />
    </Screen>
  );
}

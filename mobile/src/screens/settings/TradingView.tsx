import * as Clipboard from "expo-clipboard";
import { useState } from "react";
import { View } from "react-native";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useHooks, type Schemas } from "../../api/queries";
import { capitalise, dateTime } from "../../lib/format";
import { useApi } from "../../services";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/Confirm";
import { Field } from "../../ui/Field";
import { useNoScreenshots } from "../../ui/hooks";
import { Banner, Card, Row, Screen, Segmented } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";
import { VENUES } from "../ConnectExchange";

type Created = Schemas["TradingViewHookCreated"];

/** A TradingView webhook: its URL and secret are shown once, with copy buttons. */
export function TradingViewScreen() {
  useNoScreenshots("tradingview");
  const api = useApi();
  const confirm = useConfirm();
  const hooks = useHooks();
  const [venue, setVenue] = useState<(typeof VENUES)[number]["value"]>("binance");
  const [label, setLabel] = useState("");
  const [created, setCreated] = useState<Created | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const create = useAction(async () => {
    const hook = await unwrap(api.POST("/v1/webhooks/tradingview", { body: { venue, label: label.trim() || null } }));
    setCreated(hook);
    return hook;
  }, [["hooks"]]);
  const revoke = useAction(async (id: string) => {
    if (!(await confirm({ title: "Revoke this hook?", message: "Its alerts are refused from now on.", confirm: "Revoke", destructive: true }))) return null;
    return unwrap(api.DELETE("/v1/webhooks/tradingview/{hook_id}", { params: { path: { hook_id: id } } }));
  }, [["hooks"]]);
  const copy = async (what: string, text: string) => {
    await Clipboard.setStringAsync(text);
    setCopied(what);
  };
  return (
    <Screen testID="settings-tradingview">
      <Text variant="title">TradingView alerts</Text>
      {created ? (
        <Card label="New hook">
          <Banner text="Copy the secret now: NIJA keeps only its hash and cannot show it again." />
          <Row label="URL" value={created.url} />
          <Button kind="secondary" title="Copy URL" onPress={() => void copy("URL", created.url)} />
          <Row label="Secret" value={created.secret} />
          <Button kind="secondary" title="Copy secret" onPress={() => void copy("secret", created.secret)} />
          <Text variant="muted">Alert message:</Text>
          <Text selectable>{created.alert_message}</Text>
          <Button kind="secondary" title="Copy alert message" onPress={() => void copy("alert message", created.alert_message)} />
          {copied ? <Text accessibilityLiveRegion="polite">Copied the {copied}.</Text> : null}
          <Button title="Done" onPress={() => setCreated(null)} />
        </Card>
      ) : (
        <Card label="Create a hook">
          <Segmented label="Venue" options={VENUES} value={venue} onChange={setVenue} />
          <Field label="Label" value={label} onChangeText={setLabel} maxLength={64} />
          <Button title="Create hook" busy={create.isPending} onPress={() => create.mutate(undefined)} />
        </Card>
      )}
      {create.error || revoke.error ? <Banner tone="danger" text={messageOf(create.error ?? revoke.error)} /> : null}
      <Text variant="heading">Your hooks</Text>
      <QueryState query={hooks} what="your hooks" isEmpty={(list) => list.length === 0} empty={<Text variant="muted">No hooks yet.</Text>}>
        {(list) =>
          list.map((hook) => (
            <Card key={hook.id} label={`Hook ${hook.label ?? hook.id}`}>
              <Text style={{ fontWeight: "700" }}>{hook.label ?? "Unnamed"} · {capitalise(hook.venue)}</Text>
              <Row label="Last alert" value={dateTime(hook.last_alert_at)} />
              <View style={{ flexDirection: "row", gap: 8 }}>
                <Button kind="secondary" title="Copy URL" accessibilityLabel={`Copy URL of ${hook.label ?? "hook"}`} onPress={() => void copy("URL", hook.url)} />
                <Button kind="danger" title="Revoke" accessibilityLabel={`Revoke ${hook.label ?? "hook"}`} onPress={() => revoke.mutate(hook.id)} />
              </View>
            </Card>
          ))
        }
      </QueryState>
    </Screen>
  );
}

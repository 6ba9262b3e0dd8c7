import { useRouter } from "expo-router";
import { useState } from "react";
import { View } from "react-native";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useCredentials, type Credential } from "../../api/queries";
import { capitalise, dateTime } from "../../lib/format";
import { useApi } from "../../services";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/Confirm";
import { Field } from "../../ui/Field";
import { useNoScreenshots } from "../../ui/hooks";
import { Banner, Card, Row, Screen } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

export function ExchangesScreen() {
  useNoScreenshots("exchanges");
  const router = useRouter();
  const credentials = useCredentials();
  const active = (credentials.data ?? []).filter((c) => c.status === "active");
  return (
    <Screen testID="settings-exchanges" refreshing={credentials.isRefetching} onRefresh={() => void credentials.refetch()}>
      <QueryState query={credentials} what="your exchanges" isEmpty={() => active.length === 0} empty={<Text variant="muted">No exchange connected yet.</Text>}>
        {() => active.map((c) => <CredentialCard key={c.id} credential={c} />)}
      </QueryState>
      <Button title="Add an exchange" onPress={() => router.push("/connect-exchange")} />
    </Screen>
  );
}

function CredentialCard({ credential: c }: { credential: Credential }) {
  const api = useApi();
  const confirm = useConfirm();
  const [rotating, setRotating] = useState(false);
  const [apiKey, setApiKey] = useState("");
  const [secret, setSecret] = useState("");
  const path = { params: { path: { credential_id: c.id } } };
  const refresh = [["credentials"]];
  const verify = useAction(() => unwrap(api.POST("/v1/credentials/{credential_id}/verify", path)), refresh);
  const rotate = useAction(async () => {
    const out = await unwrap(api.PUT("/v1/credentials/{credential_id}", { ...path, body: { api_key: apiKey.trim(), api_secret: secret.trim() } }));
    await unwrap(api.POST("/v1/credentials/{credential_id}/verify", path));
    setRotating(false);
    setApiKey("");
    setSecret("");
    return out;
  }, refresh);
  const revoke = useAction(async () => {
    if (!(await confirm({ title: `Revoke the ${capitalise(c.venue)} key?`, message: "NIJA stops trading there at once.", confirm: "Revoke", destructive: true }))) return null;
    return unwrap(api.DELETE("/v1/credentials/{credential_id}", path));
  }, refresh);
  const error = verify.error ?? rotate.error ?? revoke.error;
  return (
    <Card label={`${capitalise(c.venue)} key ending ${c.key_hint}`}>
      <Text variant="heading">{capitalise(c.venue)} {c.label ? `· ${c.label}` : ""}</Text>
      <Row label="Key" value={`…${c.key_hint} (v${c.version})`} />
      <Row label="Verification" value={capitalise(c.verification)} />
      <Row label="Permissions" value={c.permissions.join(", ") || "—"} />
      <Row label="Environment" value={capitalise(c.environment)} />
      <Row label="Verified" value={dateTime(c.verified_at)} />
      {c.refusal_reason ? <Banner tone="danger" text={c.refusal_reason} /> : null}
      {error ? <Banner tone="danger" text={messageOf(error)} /> : null}
      {rotating ? (
        <>
          <Field label="New API key" value={apiKey} onChangeText={setApiKey} secret autoComplete="off" />
          <Field label="New API secret" value={secret} onChangeText={setSecret} secret autoComplete="off" />
          <Button title="Rotate and verify" busy={rotate.isPending} disabled={apiKey.trim().length < 8 || secret.trim().length < 8} onPress={() => rotate.mutate(undefined)} />
        </>
      ) : null}
      <View style={{ flexDirection: "row", flexWrap: "wrap", gap: 8 }}>
        <Button kind="secondary" title="Verify" accessibilityLabel={`Verify the ${c.venue} key`} busy={verify.isPending} onPress={() => verify.mutate(undefined)} />
        <Button kind="secondary" title={rotating ? "Cancel rotation" : "Rotate"} accessibilityLabel={`Rotate the ${c.venue} key`} onPress={() => setRotating(!rotating)} />
        <Button kind="danger" title="Revoke" accessibilityLabel={`Revoke the ${c.venue} key`} busy={revoke.isPending} onPress={() => revoke.mutate(undefined)} />
      </View>
    </Card>
  );
}

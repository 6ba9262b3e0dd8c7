import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { View } from "react-native";
import { messageOf, unwrap } from "../api/errors";
import { useCredential, useVenues, type Credential } from "../api/queries";
import { useApi } from "../services";
import { dec } from "../lib/decimal";
import { capitalise, qty } from "../lib/format";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { useNoScreenshots } from "../ui/hooks";
import { Banner, Card, Row, Screen, Segmented } from "../ui/parts";
import { Text } from "../ui/Text";

export const VENUES = [
  { value: "binance", label: "Binance" },
  { value: "coinbase", label: "Coinbase" },
  { value: "kraken", label: "Kraken" },
] as const;
type Venue = (typeof VENUES)[number]["value"];
type Environment = "simulated" | "sandbox" | "live";
const ENVIRONMENTS = [
  { value: "simulated", label: "Simulated" },
  { value: "sandbox", label: "Exchange sandbox" },
  { value: "live", label: "Live" },
] as const;
type Step = "instructions" | "keys" | "result";
type PairChoice = "all" | "top20" | "custom";

const WHERE: Record<Venue, string> = {
  binance: "Binance → Profile → API Management → Create API",
  coinbase: "Coinbase → Settings → API → New API Key",
  kraken: "Kraken → Settings → API → Create API Key",
};

/**
 * Connect an exchange in three steps: what key to make (trade only, never withdrawal; IP
 * whitelist), the key and secret (masked) and Verify, then the venue's answer (balances,
 * markets) with the limits to trade under and Start Trading.
 */
export function ConnectExchange({ onDone }: { onDone: () => void }) {
  useNoScreenshots("connect-exchange");
  const [step, setStep] = useState<Step>("instructions");
  const [venue, setVenue] = useState<Venue>("binance");
  const [credentialId, setCredentialId] = useState<string | null>(null);
  return (
    <Screen testID="connect-exchange">
      <Text accessibilityRole="header" variant="muted">
        Step {step === "instructions" ? 1 : step === "keys" ? 2 : 3} of 3
      </Text>
      {step === "instructions" ? (
        <Instructions venue={venue} setVenue={setVenue} next={() => setStep("keys")} />
      ) : null}
      {step === "keys" ? (
        <Keys
          venue={venue}
          back={() => setStep("instructions")}
          stored={(id) => {
            setCredentialId(id);
            setStep("result");
          }}
        />
      ) : null}
      {step === "result" && credentialId ? (
        <Result credentialId={credentialId} venue={venue} onDone={onDone} retry={() => setStep("keys")} />
      ) : null}
    </Screen>
  );
}

function Instructions({ venue, setVenue, next }: { venue: Venue; setVenue: (v: Venue) => void; next: () => void }) {
  return (
    <>
      <Text variant="title">Connect an exchange</Text>
      <Segmented label="Exchange" options={VENUES} value={venue} onChange={setVenue} />
      <Card>
        <Text variant="heading">Make an API key</Text>
        <Text>1. Open {WHERE[venue]}.</Text>
        <Text>2. Allow reading and trading only.</Text>
        <Text style={{ fontWeight: "700" }}>3. Never allow withdrawals. NIJA refuses to need them.</Text>
        <Text>4. Restrict the key to your NIJA server's IP address (IP whitelist) if the exchange offers it.</Text>
        <Text variant="muted">The key is sealed in NIJA's vault; it is never shown again, not even to you.</Text>
      </Card>
      <Button title="I have my key" onPress={next} />
    </>
  );
}

function Keys({ venue, back, stored }: { venue: Venue; back: () => void; stored: (id: string) => void }) {
  const api = useApi();
  const [apiKey, setApiKey] = useState("");
  const [secret, setSecret] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [environment, setEnvironment] = useState<Environment>("simulated");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      const credential = await unwrap(
        api.POST("/v1/credentials", {
          body: {
            venue,
            environment,
            api_key: apiKey.trim(),
            api_secret: secret.trim(),
            passphrase: passphrase.trim() || null,
          },
        }),
      );
      await unwrap(
        api.POST("/v1/credentials/{credential_id}/verify", {
          params: { path: { credential_id: credential.id } },
        }),
      );
      setApiKey("");
      setSecret("");
      setPassphrase("");
      stored(credential.id);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Text variant="title">Your {capitalise(venue)} key</Text>
      <Segmented label="Where orders go" options={ENVIRONMENTS} value={environment} onChange={setEnvironment} />
      <Field label="API key" value={apiKey} onChangeText={setApiKey} secret autoComplete="off" />
      <Field label="API secret" value={secret} onChangeText={setSecret} secret autoComplete="off" />
      {venue === "coinbase" ? (
        <Field
          label="Passphrase"
          value={passphrase}
          onChangeText={setPassphrase}
          secret
          autoComplete="off"
          hint="Only if your Coinbase key has one."
        />
      ) : null}
      {error ? <Banner tone="danger" text={error} /> : null}
      <Button title="Verify" busy={busy} disabled={apiKey.trim().length < 8 || secret.trim().length < 8} onPress={() => void verify()} />
      <Button kind="secondary" title="Back" onPress={back} />
    </>
  );
}

function Result({
  credentialId,
  venue,
  onDone,
  retry,
}: {
  credentialId: string;
  venue: Venue;
  onDone: () => void;
  retry: () => void;
}) {
  const query = useCredential(credentialId);
  const credential = query.data;
  if (!credential && query.error) {
    return (
      <>
        <Banner tone="danger" text={`Could not read the result: ${messageOf(query.error)}`} />
        <Button title="Retry" onPress={() => void query.refetch()} />
      </>
    );
  }
  if (!credential || credential.verification === "pending") {
    return <Text accessibilityLiveRegion="polite">Asking {capitalise(venue)} about your key…</Text>;
  }
  if (credential.verification !== "verified") {
    return (
      <>
        <Banner tone="danger" text={`${capitalise(venue)} refused the key: ${credential.refusal_reason ?? "unknown reason"}.`} />
        <Button title="Try another key" onPress={retry} />
      </>
    );
  }
  return <Verified credential={credential} onDone={onDone} />;
}

function Verified({ credential, onDone }: { credential: Credential; onDone: () => void }) {
  const api = useApi();
  const client = useQueryClient();
  const venues = useVenues();
  const symbols = venues.data?.find((v) => v.name === credential.venue)?.symbols ?? [];
  const [maxPosition, setMaxPosition] = useState("500");
  const [choice, setChoice] = useState<PairChoice>("top20");
  const [custom, setCustom] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const withdraw = credential.permissions.includes("withdraw");
  const balances = Object.entries(credential.balances ?? {}).filter(([, amount]) => dec(String(amount)) !== 0n);
  const pairs = choice === "top20" ? symbols.slice(0, 20) : choice === "custom" ? custom : null;

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.PATCH("/v1/settings/trading", {
          body: { max_position_usd: maxPosition, allowed_pairs: pairs },
        }),
      );
      await unwrap(
        api.PUT("/v1/bot", {
          body: { venue: credential.venue, max_position_usd: maxPosition, ...(pairs?.length ? { pairs } : {}) },
        }),
      );
      await unwrap(api.POST("/v1/bot/start"));
      await client.invalidateQueries();
      onDone();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Text variant="title">{capitalise(credential.venue)} is connected</Text>
      {withdraw ? (
        <Banner tone="danger" text="This key may withdraw funds. Make a new key without withdrawal permission." />
      ) : null}
      <Card label="Verification result">
        <Row label="Permissions" value={credential.permissions.join(", ") || "none"} />
        <Row label="Markets" value={String(credential.markets ?? 0)} testID="markets" />
        <Text variant="heading">Balances</Text>
        {balances.length === 0 ? <Text variant="muted">No balances.</Text> : null}
        {balances.map(([asset, amount]) => (
          <Row key={asset} label={asset} value={qty(String(amount))} />
        ))}
      </Card>
      <Field label="Max position (USD)" value={maxPosition} onChangeText={setMaxPosition} keyboardType="decimal-pad" />
      <Text style={{ fontWeight: "600" }}>Allowed pairs</Text>
      <Segmented
        label="Allowed pairs"
        options={[
          { value: "all", label: "All" },
          { value: "top20", label: "Top 20" },
          { value: "custom", label: "Custom" },
        ]}
        value={choice}
        onChange={setChoice}
      />
      {choice === "custom" ? (
        <View style={{ flexDirection: "row", flexWrap: "wrap", gap: 6 }}>
          {symbols.map((symbol) => {
            const on = custom.includes(symbol);
            return (
              <Button
                key={symbol}
                kind={on ? "primary" : "secondary"}
                title={symbol}
                accessibilityLabel={`${symbol} ${on ? "allowed" : "not allowed"}`}
                onPress={() => setCustom(on ? custom.filter((s) => s !== symbol) : [...custom, symbol].slice(0, 20))}
              />
            );
          })}
        </View>
      ) : null}
      {error ? <Banner tone="danger" text={error} /> : null}
      <Button
        title="Start trading"
        busy={busy}
        disabled={withdraw || !(Number(maxPosition) > 0) || (choice === "custom" && custom.length === 0)}
        onPress={() => void start()}
      />
      <Button kind="secondary" title="Not now" onPress={onDone} />
    </>
  );
}

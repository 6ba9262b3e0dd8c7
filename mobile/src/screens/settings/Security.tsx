import { useEffect, useState } from "react";
import { Platform, View } from "react-native";
import { SvgXml } from "react-native-svg";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useDevices, useProfile, useSessions, type Schemas } from "../../api/queries";
import { biometricsAvailable } from "../../auth/deviceKey";
import { disableBiometrics, enableBiometrics, hasDeviceKey } from "../../auth/flows";
import { IDLE_CHOICES } from "../../config";
import { dateTime } from "../../lib/format";
import { useApi, useServices } from "../../services";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/Confirm";
import { Field } from "../../ui/Field";
import { useNoScreenshots } from "../../ui/hooks";
import { Banner, Card, Row, Screen, Segmented, Toggle } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

export function SecurityScreen() {
  useNoScreenshots("security");
  return (
    <Screen testID="settings-security">
      <Biometrics />
      <TwoFactor />
      <Password />
      <Timeout />
      <Sessions />
    </Screen>
  );
}

function Biometrics() {
  const services = useServices();
  const profile = useProfile();
  const [available, setAvailable] = useState(false);
  const [enabled, setEnabled] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void biometricsAvailable().then(setAvailable);
    void hasDeviceKey().then(setEnabled);
  }, []);
  const toggle = async (on: boolean) => {
    setError(null);
    try {
      if (on) await enableBiometrics(services, profile.data?.email ?? "", Platform.OS === "ios" ? "iPhone" : "Android phone");
      else await disableBiometrics(services);
      setEnabled(on);
      void services.queryClient.invalidateQueries({ queryKey: ["devices"] });
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  return (
    <Card label="Biometric login">
      <Text variant="heading">Biometric login</Text>
      {Platform.OS === "web" ? (
        <Text variant="muted">Available in the phone app (Face ID or fingerprint); the web uses your password.</Text>
      ) : (
        <Toggle label="Sign in with biometrics" value={enabled} disabled={!available} onChange={(on) => void toggle(on)} hint={available ? undefined : "Set up Face ID or a fingerprint on this phone first."} />
      )}
      {error ? <Banner tone="danger" text={error} /> : null}
      <Devices />
    </Card>
  );
}

function Devices() {
  const api = useApi();
  const devices = useDevices();
  const revoke = useAction((id: string) => unwrap(api.DELETE("/v1/auth/devices/{device_id}", { params: { path: { device_id: id } } })), [["devices"], ["profile"]]);
  return (
    <QueryState query={devices} what="your devices" isEmpty={(list) => list.length === 0} empty={<Text variant="muted">No device registered.</Text>}>
      {(list) =>
        list.map((d) => (
          <View key={d.id} style={{ flexDirection: "row", alignItems: "center", gap: 8 }}>
            <Text style={{ flex: 1 }}>{d.name} · last used {dateTime(d.last_used_at)}</Text>
            <Button kind="secondary" title="Remove" accessibilityLabel={`Remove device ${d.name}`} onPress={() => revoke.mutate(d.id)} />
          </View>
        ))
      }
    </QueryState>
  );
}

function TwoFactor() {
  const api = useApi();
  const profile = useProfile();
  const [setup, setSetup] = useState<Schemas["TotpSetupResponse"] | null>(null);
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const begin = useAction(async () => setSetup(await unwrap(api.POST("/v1/auth/2fa/totp"))));
  const confirmCode = useAction(async () => {
    const out = await unwrap(api.POST("/v1/auth/2fa/totp/confirm", { body: { code: code.trim() } }));
    setCodes(out.recovery_codes);
    setSetup(null);
    setCode("");
  }, [["profile"]]);
  const disable = useAction(async () => {
    await unwrap(api.POST("/v1/auth/2fa/totp/disable", { body: { password, code: code.trim() } }));
    setPassword("");
    setCode("");
  }, [["profile"]]);
  const error = begin.error ?? confirmCode.error ?? disable.error;
  const on = profile.data?.two_factor_enabled;
  return (
    <Card label="Two-factor authentication">
      <Text variant="heading">Two-factor authentication</Text>
      <Text>{on ? "On: sign-in asks for a code from your authenticator app." : "Off."}</Text>
      {codes ? (
        <>
          <Banner text="Keep these recovery codes somewhere safe: each works once, and they are not shown again." />
          <Text selectable testID="recovery-codes">{codes.join("\n")}</Text>
          <Button title="I saved them" onPress={() => setCodes(null)} />
        </>
      ) : null}
      {!on && !setup ? <Button title="Set up two-factor" busy={begin.isPending} onPress={() => begin.mutate(undefined)} /> : null}
      {setup ? (
        <>
          <Text>Scan this QR code with your authenticator app, then enter the code it shows.</Text>
          <View accessible accessibilityRole="image" accessibilityLabel="QR code for your authenticator app" style={{ alignSelf: "center", backgroundColor: "#fff", padding: 8 }}>
            <SvgXml xml={setup.qr_svg} width={200} height={200} />
          </View>
          <Text variant="muted" selectable>Or type this key: {setup.secret}</Text>
          <Field label="Code from the app" value={code} onChangeText={setCode} keyboardType="number-pad" />
          <Button title="Turn on" busy={confirmCode.isPending} disabled={code.trim().length < 6} onPress={() => confirmCode.mutate(undefined)} />
        </>
      ) : null}
      {on ? (
        <>
          <Field label="Password" value={password} onChangeText={setPassword} secret />
          <Field label="Code" value={code} onChangeText={setCode} keyboardType="number-pad" />
          <Button kind="danger" title="Turn off two-factor" busy={disable.isPending} disabled={!password || code.trim().length < 6} onPress={() => disable.mutate(undefined)} />
        </>
      ) : null}
      {error ? <Banner tone="danger" text={messageOf(error)} /> : null}
    </Card>
  );
}

function Password() {
  const api = useApi();
  const { session } = useServices();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = useAction(async () => {
    await unwrap(api.POST("/v1/auth/password", { body: { current_password: current, new_password: next } }));
    await session.signOut("Password changed: sign in with the new one.");
  });
  return (
    <Card label="Password">
      <Text variant="heading">Password</Text>
      <Field label="Current password" value={current} onChangeText={setCurrent} secret autoComplete="current-password" />
      <Field label="New password" value={next} onChangeText={setNext} secret autoComplete="new-password" hint="At least 12 characters. Every session ends." />
      {change.error ? <Banner tone="danger" text={messageOf(change.error)} /> : null}
      <Button title="Change password" busy={change.isPending} disabled={!current || next.length < 12} onPress={() => change.mutate(undefined)} />
    </Card>
  );
}

function Timeout() {
  const { session } = useServices();
  const [minutes, setMinutes] = useState(String(session.idleMinutes));
  return (
    <Card label="Session timeout">
      <Text variant="heading">Sign out when idle</Text>
      <Segmented
        label="Session timeout"
        options={IDLE_CHOICES.map((m) => ({ value: String(m), label: `${m} min` }))}
        value={minutes}
        onChange={(value) => {
          setMinutes(value);
          void session.setIdleMinutes(Number(value));
        }}
      />
    </Card>
  );
}

function Sessions() {
  const api = useApi();
  const { session } = useServices();
  const confirm = useConfirm();
  const sessions = useSessions();
  const revoke = useAction((id: string) => unwrap(api.DELETE("/v1/auth/sessions/{session_id}", { params: { path: { session_id: id } } })), [["sessions"]]);
  const everywhere = useAction(async () => {
    if (!(await confirm({ title: "Sign out everywhere?", message: "Every session ends, this one too.", confirm: "Sign out everywhere", destructive: true }))) return;
    await unwrap(api.DELETE("/v1/auth/sessions"));
    await session.signOut("Signed out everywhere.");
  });
  return (
    <Card label="Sessions">
      <Text variant="heading">Sessions</Text>
      <QueryState query={sessions} what="your sessions" isEmpty={(list) => list.length === 0}>
        {(list) =>
          list.map((s) => (
            <View key={s.id} style={{ gap: 4 }}>
              <Row label={`${s.method} · ${s.ip || "unknown address"}`} value={dateTime(s.last_used_at)} />
              <Text variant="muted" numberOfLines={1}>{s.user_agent || "unknown app"}</Text>
              <Button kind="secondary" title="Sign out" accessibilityLabel={`Sign out the session from ${s.ip || "unknown address"}`} onPress={() => revoke.mutate(s.id)} />
            </View>
          ))
        }
      </QueryState>
      {revoke.error || everywhere.error ? <Banner tone="danger" text={messageOf(revoke.error ?? everywhere.error)} /> : null}
      <Button kind="danger" title="Sign out everywhere" busy={everywhere.isPending} onPress={() => everywhere.mutate(undefined)} />
    </Card>
  );
}

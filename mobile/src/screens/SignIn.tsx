import { useEffect, useState } from "react";
import { messageOf } from "../api/errors";
import { biometricsAvailable } from "../auth/deviceKey";
import { biometricSignIn, finishSecondFactor, hasDeviceKey, signIn } from "../auth/flows";
import { deviceStore } from "../auth/storage";
import { useServices, useSessionState } from "../services";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { Banner, Screen } from "../ui/parts";
import { Text } from "../ui/Text";

export function SignInScreen() {
  const services = useServices();
  const state = useSessionState();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [challengeId, setChallengeId] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [biometric, setBiometric] = useState(false);

  useEffect(() => {
    void (async () => {
      if ((await hasDeviceKey()) && (await biometricsAvailable())) {
        setBiometric(true);
        const device = await deviceStore.get();
        if (device) setEmail(device.email);
      }
    })();
  }, []);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const withPassword = () =>
    run(async () => {
      const outcome = await signIn(services, email.trim(), password);
      if (!outcome.done) setChallengeId(outcome.challengeId);
    });
  const withCode = () => run(() => finishSecondFactor(services, challengeId!, code));
  const withBiometrics = () =>
    run(async () => {
      if (!(await biometricSignIn(services))) setError("Not confirmed. Use your password instead.");
    });

  if (challengeId) {
    return (
      <Screen testID="second-factor">
        <Text variant="title">Second factor</Text>
        <Text>Enter the 6-digit code from your authenticator app, or a recovery code.</Text>
        <Field label="Code" value={code} onChangeText={setCode} autoComplete="one-time-code" keyboardType="number-pad" error={error} />
        <Button title="Continue" busy={busy} disabled={code.trim().length < 6} onPress={() => void withCode()} />
        <Button kind="secondary" title="Back" onPress={() => setChallengeId(null)} />
      </Screen>
    );
  }
  return (
    <Screen testID="sign-in">
      <Text variant="title">Sign in</Text>
      {state.reason ? <Banner text={state.reason} /> : null}
      {biometric ? (
        <Button title="Sign in with biometrics" busy={busy} onPress={() => void withBiometrics()} />
      ) : null}
      <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" />
      <Field label="Password" value={password} onChangeText={setPassword} secret autoComplete="current-password" />
      {error ? <Text accessibilityRole="alert">{error}</Text> : null}
      <Button
        title="Sign in"
        kind={biometric ? "secondary" : "primary"}
        busy={busy}
        disabled={!email.includes("@") || !password}
        onPress={() => void withPassword()}
      />
    </Screen>
  );
}

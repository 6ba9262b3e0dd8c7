import { useRouter } from "expo-router";
import { useEffect, useState } from "react";
import { Platform } from "react-native";
import { messageOf } from "../api/errors";
import { useProfile } from "../api/queries";
import { biometricsAvailable } from "../auth/deviceKey";
import { enableBiometrics } from "../auth/flows";
import { useServices } from "../services";
import { Button } from "../ui/Button";
import { Banner, Screen } from "../ui/parts";
import { Text } from "../ui/Text";
import { ConnectExchange } from "./ConnectExchange";

export function OnboardingExchangeScreen() {
  const router = useRouter();
  return <ConnectExchange onDone={() => router.replace("/onboarding/biometrics")} />;
}

export function OnboardingBiometricsScreen() {
  const router = useRouter();
  const services = useServices();
  const profile = useProfile();
  const [available, setAvailable] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => void biometricsAvailable().then(setAvailable), []);
  const enable = async () => {
    setBusy(true);
    setError(null);
    try {
      await enableBiometrics(services, profile.data?.email ?? "", Platform.OS === "ios" ? "iPhone" : "Android phone");
      router.replace("/onboarding/done");
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Screen testID="onboarding-biometrics">
      <Text variant="title">Biometric login</Text>
      {Platform.OS === "web" ? (
        <Text>In the phone app you can sign in and confirm trades with Face ID or your fingerprint. On the web you use your password.</Text>
      ) : (
        <Text>Sign in and confirm sensitive actions with Face ID or your fingerprint. Your password stays the fallback.</Text>
      )}
      {available === false && Platform.OS !== "web" ? <Banner text="Set up Face ID or a fingerprint on this phone first." /> : null}
      {error ? <Banner tone="danger" text={error} /> : null}
      {available ? <Button title="Enable biometrics" busy={busy} onPress={() => void enable()} /> : null}
      <Button kind="secondary" title={available ? "Not now" : "Continue"} onPress={() => router.replace("/onboarding/done")} />
    </Screen>
  );
}

export function OnboardingDoneScreen() {
  const { session } = useServices();
  return (
    <Screen testID="onboarding-done">
      <Text variant="title">You're set</Text>
      <Text>Your dashboard shows your bot, positions and P&L, live. Fills arrive as they happen.</Text>
      <Button title="Go to my dashboard" onPress={() => session.finishOnboarding()} />
    </Screen>
  );
}

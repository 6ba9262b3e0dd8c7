import { useRouter } from "expo-router";
import { View } from "react-native";
import { useSessionState } from "../services";
import { Button } from "../ui/Button";
import { Banner, Screen } from "../ui/parts";
import { Text } from "../ui/Text";

export function WelcomeScreen() {
  const router = useRouter();
  const state = useSessionState();
  return (
    <Screen testID="welcome">
      <View style={{ gap: 12, paddingVertical: 32 }}>
        <Text variant="title">NIJA</Text>
        <Text>
          Your trading bot on Coinbase, Kraken and Binance: positions, P&L and fills live, routed to
          the venue where each order costs least.
        </Text>
        <Text variant="muted">Your exchange keys are sealed in a vault and can never withdraw.</Text>
      </View>
      {state.reason ? <Banner text={state.reason} /> : null}
      <Button title="Create an account" onPress={() => router.push("/sign-up")} />
      <Button kind="secondary" title="Sign in" onPress={() => router.push("/sign-in")} />
    </Screen>
  );
}

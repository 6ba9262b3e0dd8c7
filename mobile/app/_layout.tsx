// First: Hermes needs getRandomValues before @noble/curves loads (it probes for it on load).
import "../src/polyfills";
import { Stack, useRouter } from "expo-router";
import { StatusBar } from "expo-status-bar";
import { useEffect } from "react";
import { ActivityIndicator, AppState, Platform, View } from "react-native";
import { StepUpGate } from "../src/auth/StepUpGate";
import { listenForTaps, registerForPush } from "../src/push/register";
import { createServices, ServicesProvider, useServices, useSessionState, type Services } from "../src/services";
import { ConfirmProvider } from "../src/ui/Confirm";
import { GestureRoot } from "../src/ui/GestureRoot";
import { usePalette } from "../src/ui/theme";

/** Idle sign-out counts touches and keys; coming back from the background checks at once. */
function useActivity() {
  const { session } = useServices();
  useEffect(() => {
    const subscription = AppState.addEventListener("change", (state) => {
      if (state === "active") session.checkIdle();
    });
    if (Platform.OS !== "web" || typeof document === "undefined") return () => subscription.remove();
    const events = ["pointerdown", "keydown", "wheel", "touchstart"] as const;
    events.forEach((name) => document.addEventListener(name, session.touch, { passive: true }));
    return () => {
      subscription.remove();
      events.forEach((name) => document.removeEventListener(name, session.touch));
    };
  }, [session]);
}

/** After sign-in: push registration once, and tapped notifications open their screen. */
function usePush(signedIn: boolean) {
  const services = useServices();
  const router = useRouter();
  useEffect(() => {
    if (!signedIn) return;
    void registerForPush(services).catch(() => undefined); // Settings › Notifications shows why
    return listenForTaps((path) => router.push(path as never));
  }, [signedIn, services, router]);
}

function Navigator() {
  const state = useSessionState();
  const palette = usePalette();
  const { session } = useServices();
  useActivity();
  const signedIn = state.status === "signedIn";
  usePush(signedIn);
  if (state.status === "restoring") {
    return (
      <View accessibilityLabel="Starting NIJA" style={{ flex: 1, alignItems: "center", justifyContent: "center", backgroundColor: palette.background }}>
        <ActivityIndicator color={palette.primary} />
      </View>
    );
  }
  const header = {
    headerStyle: { backgroundColor: palette.card },
    headerTintColor: palette.text,
    contentStyle: { backgroundColor: palette.background },
  };
  return (
    <View style={{ flex: 1 }} onTouchStart={session.touch}>
      <StatusBar style="auto" />
      <Stack screenOptions={header}>
        <Stack.Protected guard={!signedIn}>
          <Stack.Screen name="welcome" options={{ headerShown: false, title: "Welcome" }} />
          <Stack.Screen name="sign-in" options={{ title: "Sign in" }} />
          <Stack.Screen name="sign-up" options={{ title: "Create account" }} />
        </Stack.Protected>
        <Stack.Protected guard={signedIn && !!state.onboarding}>
          <Stack.Screen name="onboarding/exchange" options={{ title: "Connect an exchange", headerBackVisible: false }} />
          <Stack.Screen name="onboarding/biometrics" options={{ title: "Biometric login", headerBackVisible: false }} />
          <Stack.Screen name="onboarding/done" options={{ title: "Done", headerBackVisible: false }} />
        </Stack.Protected>
        <Stack.Protected guard={signedIn}>
          <Stack.Screen name="(tabs)" options={{ headerShown: false, title: "NIJA" }} />
          <Stack.Screen name="position/[id]" options={{ title: "Position" }} />
          <Stack.Screen name="connect-exchange" options={{ title: "Connect an exchange" }} />
          <Stack.Screen name="order" options={{ title: "New order" }} />
          <Stack.Screen name="price-alert" options={{ title: "Price alert" }} />
          <Stack.Screen name="settings/profile" options={{ title: "Profile" }} />
          <Stack.Screen name="settings/trading" options={{ title: "Trading" }} />
          <Stack.Screen name="settings/exchanges" options={{ title: "Exchanges" }} />
          <Stack.Screen name="settings/tradingview" options={{ title: "TradingView" }} />
          <Stack.Screen name="settings/notifications" options={{ title: "Notifications" }} />
          <Stack.Screen name="settings/security" options={{ title: "Security" }} />
        </Stack.Protected>
      </Stack>
    </View>
  );
}

/**
 * One session for as long as the app runs, not one per mount of this layout: expo-router can
 * unmount and mount it again (on the web, a history step through a URL outside the routes
 * shows its not-found screen in the layout's place). A session made per mount started over
 * from the stored refresh token, dropping what it held in memory: a new trader's onboarding
 * gave way to a bare dashboard.
 */
let appServices: Services | null = null;

export default function RootLayout() {
  const services = (appServices ??= createServices());
  useEffect(() => {
    void services.session.restore();
  }, [services]);
  return (
    <GestureRoot>
      <ServicesProvider services={services}>
        <ConfirmProvider>
          <StepUpGate>
            <Navigator />
          </StepUpGate>
        </ConfirmProvider>
      </ServicesProvider>
    </GestureRoot>
  );
}

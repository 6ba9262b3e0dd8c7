import Constants from "expo-constants";
import * as Device from "expo-device";
import * as Notifications from "expo-notifications";
import { Platform } from "react-native";
import { unwrap } from "../api/errors";
import { deepLinkPath } from "./links";
import { installId } from "../auth/storage";
import type { Services } from "../services";

import type { PushOutcome } from "./register";

export { deepLinkPath };

/**
 * After sign-in: ask for permission, get this phone's Expo push token and register it with
 * `POST /v1/push/devices` (one row per installation: `device_id` is this install's random id).
 * The web export and simulators get no push token.
 */
export async function registerForPush(services: Services): Promise<PushOutcome> {
  if (Platform.OS === "web" || !Device.isDevice) return "unsupported";
  let { status } = await Notifications.getPermissionsAsync();
  if (status !== "granted") ({ status } = await Notifications.requestPermissionsAsync());
  if (status !== "granted") return "denied";
  if (Platform.OS === "android") {
    await Notifications.setNotificationChannelAsync("default", {
      name: "Trades and alerts",
      importance: Notifications.AndroidImportance.HIGH,
    });
  }
  const projectId =
    Constants.easConfig?.projectId ??
    (Constants.expoConfig?.extra as { eas?: { projectId?: string } } | undefined)?.eas?.projectId;
  const { data: token } = await Notifications.getExpoPushTokenAsync(projectId ? { projectId } : undefined);
  await unwrap(
    services.api.POST("/v1/push/devices", {
      body: {
        expo_push_token: token,
        platform: Platform.OS === "ios" ? "ios" : "android",
        device_id: await installId(),
      },
    }),
  );
  return "registered";
}

/** Opens the screen a tapped notification points at (also the one that launched the app). */
export function listenForTaps(open: (path: string) => void): () => void {
  if (Platform.OS === "web") return () => undefined;
  const handle = (response: Notifications.NotificationResponse | null) => {
    const path = deepLinkPath(response?.notification.request.content.data);
    if (path) open(path);
  };
  void Notifications.getLastNotificationResponseAsync().then(handle);
  const subscription = Notifications.addNotificationResponseReceivedListener(handle);
  return () => subscription.remove();
}

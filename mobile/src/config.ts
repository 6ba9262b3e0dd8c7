import Constants from "expo-constants";
import { Platform } from "react-native";

/**
 * Where the platform is. On the web the app is served by the platform itself (at /app), so it
 * talks to its own origin. On a phone, EXPO_PUBLIC_NIJA_API_URL (or `extra.apiUrl` in app.json)
 * names the platform's address on the network the phone shares with it.
 */
export function apiBaseUrl(): string {
  const configured =
    process.env.EXPO_PUBLIC_NIJA_API_URL ??
    (Constants.expoConfig?.extra as { apiUrl?: string } | undefined)?.apiUrl;
  if (configured) return configured.replace(/\/$/, "");
  if (Platform.OS === "web" && typeof window !== "undefined" && window.location) {
    return window.location.origin;
  }
  return "http://127.0.0.1:8000";
}

export function socketUrl(base = apiBaseUrl()): string {
  return base.replace(/^http/, "ws") + "/v1/ws";
}

/** Sign out after this long without a touch, unless the trader picked another in Security. */
export const DEFAULT_IDLE_MINUTES = 30;
export const IDLE_CHOICES = [5, 15, 30, 60] as const;
/** Renew the access token this long before it expires. */
export const REFRESH_MARGIN_SECONDS = 60;

import * as ScreenCapture from "expo-screen-capture";
import { useEffect, useState } from "react";
import { Platform } from "react-native";

/** No screenshots or screen recording while a secret or a security setting is on screen. */
export function useNoScreenshots(key: string): void {
  useEffect(() => {
    if (Platform.OS === "web") return;
    void ScreenCapture.preventScreenCaptureAsync(key).catch(() => undefined);
    return () => void ScreenCapture.allowScreenCaptureAsync(key).catch(() => undefined);
  }, [key]);
}

/** Re-render every `ms` (ages and durations shown on screen). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

import type { Services } from "../services";

export type PushOutcome = "registered" | "denied" | "unsupported";
export { deepLinkPath } from "./links";

/**
 * The web export gets no push (Expo push tokens belong to phones; the notifications list in
 * Settings shows the same events). Phones use register.native.ts; keeping expo-notifications
 * out of the web bundle also keeps its web warnings out of the console.
 */
export async function registerForPush(_services: Services): Promise<PushOutcome> {
  return "unsupported";
}

export function listenForTaps(_open: (path: string) => void): () => void {
  return () => undefined;
}

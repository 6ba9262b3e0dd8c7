import * as SecureStore from "expo-secure-store";
import { Platform } from "react-native";

/**
 * Where the app keeps what outlives a screen.
 *
 * Phones: the refresh token, the device key and preferences live in SecureStore (Keychain /
 * Keystore). The access token is never stored: it lives in memory only.
 *
 * Web: there is no SecureStore. The refresh token is kept in `sessionStorage` (this tab only,
 * gone when the tab closes), so a reload keeps the trader signed in but nothing survives the
 * browser session; preferences (not secrets) use `localStorage`. No device key exists on the web.
 */
const memory = new Map<string, string>();
const isWeb = Platform.OS === "web";

function webStore(kind: "session" | "local"): Storage | null {
  try {
    const store = kind === "session" ? globalThis.sessionStorage : globalThis.localStorage;
    return store ?? null;
  } catch {
    return null;
  }
}

async function read(key: string, kind: "session" | "local"): Promise<string | null> {
  if (isWeb) return webStore(kind)?.getItem(key) ?? memory.get(key) ?? null;
  return SecureStore.getItemAsync(key);
}

async function write(key: string, value: string | null, kind: "session" | "local"): Promise<void> {
  if (isWeb) {
    const store = webStore(kind);
    if (value === null) {
      store?.removeItem(key);
      memory.delete(key);
    } else if (store) store.setItem(key, value);
    else memory.set(key, value);
    return;
  }
  if (value === null) await SecureStore.deleteItemAsync(key);
  else await SecureStore.setItemAsync(key, value);
}

const REFRESH = "nija.refresh";
const ONBOARDING = "nija.onboarding";
const PREFS = "nija.prefs";
const DEVICE = "nija.device";
const INSTALL = "nija.install";

export const refreshTokenStore = {
  get: () => read(REFRESH, "session"),
  set: (token: string | null) => write(REFRESH, token, "session"),
};

/** A new account's onboarding not finished yet: kept with the refresh token (same scope), so a
 * session restored mid-way (a reload) carries on with it instead of opening a bare dashboard. */
export const onboardingStore = {
  get: async () => (await read(ONBOARDING, "session")) === "1",
  set: (pending: boolean) => write(ONBOARDING, pending ? "1" : null, "session"),
};

export type Prefs = { idleMinutes?: number; onboarded?: boolean };

export const prefsStore = {
  async get(): Promise<Prefs> {
    try {
      return JSON.parse((await read(PREFS, "local")) ?? "{}") as Prefs;
    } catch {
      return {};
    }
  },
  async update(change: Prefs): Promise<Prefs> {
    const next = { ...(await prefsStore.get()), ...change };
    await write(PREFS, JSON.stringify(next), "local");
    return next;
  },
};

/** This phone's registered device (not secret: the id the challenge is asked for). */
export type DeviceRecord = { deviceId: string; email: string };

export const deviceStore = {
  async get(): Promise<DeviceRecord | null> {
    const raw = await read(DEVICE, "local");
    return raw ? (JSON.parse(raw) as DeviceRecord) : null;
  },
  set: (record: DeviceRecord | null) =>
    write(DEVICE, record ? JSON.stringify(record) : null, "local"),
};

/** A random id for this installation, sent with the push token so one phone is one row. */
export async function installId(): Promise<string> {
  const known = await read(INSTALL, "local");
  if (known) return known;
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await write(INSTALL, id, "local");
  return id;
}

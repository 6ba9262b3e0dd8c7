import { p256 } from "@noble/curves/nist.js";
import * as LocalAuthentication from "expo-local-authentication";
import * as SecureStore from "expo-secure-store";
import { Platform } from "react-native";
import { fromBase64Url, fromHex, toBase64Url, toHex } from "../lib/base64url";

/**
 * Biometric login: a P-256 key pair made on this phone. The private key stays in SecureStore
 * behind `requireAuthentication` (the OS releases it only after Face ID / fingerprint); the
 * server holds only the public key (`POST /v1/auth/devices`) and checks ECDSA P-256/SHA-256
 * signatures over the bytes of its one-use challenge (`/v1/auth/device/challenge`), as raw
 * r||s in base64url, which `modules/identity/domain/device_keys.py` accepts.
 */
const PRIVATE_KEY = "nija.device-key";

export type KeyPair = { secretKey: Uint8Array; publicKey: string };

/** A new key pair; the public key as a base64url X9.62 uncompressed point (65 bytes). */
export function newKeyPair(): KeyPair {
  const secretKey = p256.utils.randomSecretKey();
  const publicKey = toBase64Url(p256.getPublicKey(secretKey, false));
  return { secretKey, publicKey };
}

/** The signature the server verifies: ECDSA over SHA-256 of the challenge's decoded bytes. */
export function signChallenge(secretKey: Uint8Array, challenge: string): string {
  const message = fromBase64Url(challenge);
  return toBase64Url(p256.sign(message, secretKey, { prehash: true, format: "compact" }));
}

export async function biometricsAvailable(): Promise<boolean> {
  if (Platform.OS === "web") return false;
  const [hardware, enrolled] = await Promise.all([
    LocalAuthentication.hasHardwareAsync(),
    LocalAuthentication.isEnrolledAsync(),
  ]);
  return hardware && enrolled && SecureStore.canUseBiometricAuthentication();
}

export async function storeSecretKey(secretKey: Uint8Array): Promise<void> {
  await SecureStore.setItemAsync(PRIVATE_KEY, toHex(secretKey), {
    requireAuthentication: true,
    authenticationPrompt: "Allow NIJA to keep your sign-in key",
    keychainAccessible: SecureStore.WHEN_PASSCODE_SET_THIS_DEVICE_ONLY,
  });
}

/** Released by the OS only after biometrics; null when the trader cancels or it fails. */
export async function releaseSecretKey(prompt: string): Promise<Uint8Array | null> {
  try {
    const hex = await SecureStore.getItemAsync(PRIVATE_KEY, {
      requireAuthentication: true,
      authenticationPrompt: prompt,
      keychainAccessible: SecureStore.WHEN_PASSCODE_SET_THIS_DEVICE_ONLY,
    });
    return hex ? fromHex(hex) : null;
  } catch {
    return null;
  }
}

export async function forgetSecretKey(): Promise<void> {
  await SecureStore.deleteItemAsync(PRIVATE_KEY);
}

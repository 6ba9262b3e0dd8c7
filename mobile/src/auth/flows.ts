import { Platform } from "react-native";
import { ApiError, problemOf, unwrap } from "../api/errors";
import type { Services } from "../services";
import {
  biometricsAvailable,
  forgetSecretKey,
  newKeyPair,
  releaseSecretKey,
  signChallenge,
  storeSecretKey,
} from "./deviceKey";
import { deviceStore } from "./storage";

export type SignInOutcome = { done: true } | { done: false; challengeId: string };

/** Email and password; a second factor, when enrolled, answers 401 with a challenge to finish. */
export async function signIn(
  services: Services,
  email: string,
  password: string,
  options: { onboarding?: boolean } = {},
): Promise<SignInOutcome> {
  const { data, error, response } = await services.publicApi
    .POST("/v1/auth/login", { body: { email, password } })
    .catch((cause: unknown) => {
      throw new ApiError(0, "offline", "Can't reach NIJA. Check your connection.", { cause });
    });
  if (response.ok && data) {
    await services.session.accept(data, options);
    return { done: true };
  }
  const problem = problemOf(response.status, error);
  if (problem.code === "second_factor_required" && typeof problem.extra.challenge_id === "string") {
    return { done: false, challengeId: problem.extra.challenge_id };
  }
  throw problem;
}

export async function finishSecondFactor(services: Services, challengeId: string, code: string): Promise<void> {
  const tokens = await unwrap(
    services.publicApi.POST("/v1/auth/login/second-factor", {
      body: { challenge_id: challengeId, code: code.trim() },
    }),
  );
  await services.session.accept(tokens);
}

export async function signUp(services: Services, email: string, password: string): Promise<void> {
  await unwrap(services.publicApi.POST("/v1/auth/register", { body: { email, password } }));
  const outcome = await signIn(services, email, password, { onboarding: true });
  if (!outcome.done) throw new ApiError(401, "second_factor_required", "Finish signing in");
}

/** A signature over a fresh challenge by this phone's key (biometrics release the key). */
async function deviceProof(services: Services, prompt: string) {
  const device = await deviceStore.get();
  if (!device) return null;
  const challenge = await unwrap(
    services.publicApi.POST("/v1/auth/device/challenge", { body: { device_id: device.deviceId } }),
  );
  const secretKey = await releaseSecretKey(prompt);
  if (!secretKey) return null;
  return { challengeId: challenge.challenge_id, signature: signChallenge(secretKey, challenge.challenge) };
}

/** Sign in with Face ID / fingerprint; false when cancelled or this phone has no key. */
export async function biometricSignIn(services: Services): Promise<boolean> {
  const proof = await deviceProof(services, "Sign in to NIJA");
  if (!proof) return false;
  const tokens = await unwrap(
    services.publicApi.POST("/v1/auth/device/login", {
      body: { challenge_id: proof.challengeId, signature: proof.signature },
    }),
  );
  await services.session.accept(tokens);
  return true;
}

/** Make this phone's key pair, register its public key, keep the private key behind biometrics. */
export async function enableBiometrics(services: Services, email: string, name: string): Promise<void> {
  if (!(await biometricsAvailable())) {
    throw new ApiError(0, "biometrics_unavailable", "Set up Face ID or a fingerprint on this phone first.");
  }
  const pair = newKeyPair();
  const device = await unwrap(
    services.api.POST("/v1/auth/devices", { body: { name, public_key: pair.publicKey } }),
  );
  try {
    await storeSecretKey(pair.secretKey);
  } catch (cause) {
    // The key could not be kept: the server must not keep trusting a key nobody holds.
    await services.api.DELETE("/v1/auth/devices/{device_id}", { params: { path: { device_id: device.id } } });
    throw new ApiError(0, "key_not_stored", "This phone refused to store the key.", { cause });
  }
  await deviceStore.set({ deviceId: device.id, email });
}

export async function disableBiometrics(services: Services): Promise<void> {
  const device = await deviceStore.get();
  if (device) {
    await services.api.DELETE("/v1/auth/devices/{device_id}", { params: { path: { device_id: device.deviceId } } });
  }
  await forgetSecretKey();
  await deviceStore.set(null);
}

export async function hasDeviceKey(): Promise<boolean> {
  return Platform.OS !== "web" && (await deviceStore.get()) !== null;
}

/** Step-up with the device key: the same signature as biometric sign-in. */
export async function stepUpWithDevice(services: Services): Promise<boolean> {
  const proof = await deviceProof(services, "Confirm with NIJA");
  if (!proof) return false;
  const token = await unwrap(
    services.api.POST("/v1/auth/step-up", {
      body: { challenge_id: proof.challengeId, signature: proof.signature },
    }),
  );
  services.session.replaceAccess(token.access_token, token.expires_in);
  return true;
}

export async function stepUpWithCode(services: Services, code: string): Promise<void> {
  const token = await unwrap(services.api.POST("/v1/auth/step-up", { body: { code: code.trim() } }));
  services.session.replaceAccess(token.access_token, token.expires_in);
}

import { createPublicKey, verify } from "crypto";
import * as SecureStore from "expo-secure-store";
import * as LocalAuthentication from "expo-local-authentication";
import { newKeyPair, signChallenge } from "../src/auth/deviceKey";
import { biometricSignIn, enableBiometrics, stepUpWithDevice } from "../src/auth/flows";
import { createApi } from "../src/api/client";
import { unwrap } from "../src/api/errors";
import { fromBase64Url, toBase64Url } from "../src/lib/base64url";
import { fakeBackend, problem, secureItems, testServices, TOKENS } from "./support";

/** What modules/identity/domain/device_keys.py does, with OpenSSL (Node's crypto) instead. */
function serverVerifies(publicKey: string, challenge: string, signature: string): boolean {
  const point = fromBase64Url(publicKey);
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: toBase64Url(point.slice(1, 33)),
    y: toBase64Url(point.slice(33, 65)),
  };
  const key = createPublicKey({ key: jwk, format: "jwk" });
  return verify("sha256", fromBase64Url(challenge), { key, dsaEncoding: "ieee-p1363" }, fromBase64Url(signature));
}

const challenge = toBase64Url(Uint8Array.from({ length: 32 }, (_, i) => i * 7));

test("the phone's key signs a challenge the way the server checks it", () => {
  const pair = newKeyPair();
  expect(fromBase64Url(pair.publicKey)).toHaveLength(65);
  expect(fromBase64Url(pair.publicKey)[0]).toBe(4);
  const signature = signChallenge(pair.secretKey, challenge);
  expect(fromBase64Url(signature)).toHaveLength(64);
  expect(serverVerifies(pair.publicKey, challenge, signature)).toBe(true);
  const other = toBase64Url(Uint8Array.from({ length: 32 }, () => 1));
  expect(serverVerifies(pair.publicKey, other, signature)).toBe(false);
});

test("enabling registers the public key and keeps the private key behind biometrics", async () => {
  const backend = fakeBackend({ "POST /v1/auth/devices": { status: 201, body: { id: "dev-1", name: "iPhone", created_at: "2026-01-01T00:00:00Z", last_used_at: null } } });
  const services = testServices();
  await services.session.accept(TOKENS);
  await enableBiometrics(services, "ada@example.com", "iPhone");
  const sent = backend.called("POST", "/v1/auth/devices")[0]!.body as { name: string; public_key: string };
  expect(sent.name).toBe("iPhone");
  expect(fromBase64Url(sent.public_key)).toHaveLength(65);
  const store = SecureStore.setItemAsync as jest.Mock;
  const keyCall = store.mock.calls.find(([key]) => key === "nija.device-key")!;
  expect(keyCall[2]).toMatchObject({ requireAuthentication: true });
  expect(JSON.parse(secureItems.get("nija.device")!)).toEqual({ deviceId: "dev-1", email: "ada@example.com" });
  // The stored private key is the one whose public half the server got.
  const secret = Uint8Array.from(Buffer.from(secureItems.get("nija.device-key")!, "hex"));
  expect(serverVerifies(sent.public_key, challenge, signChallenge(secret, challenge))).toBe(true);
});

test("no biometrics enrolled: nothing is registered", async () => {
  (LocalAuthentication.isEnrolledAsync as jest.Mock).mockResolvedValueOnce(false);
  const backend = fakeBackend({});
  const services = testServices();
  await services.session.accept(TOKENS);
  await expect(enableBiometrics(services, "a@b.c", "iPhone")).rejects.toThrow(/Face ID or a fingerprint/);
  expect(backend.calls).toHaveLength(0);
});

test("biometric sign-in: challenge, signature after the OS prompt, tokens", async () => {
  const pair = newKeyPair();
  secureItems.set("nija.device", JSON.stringify({ deviceId: "dev-1", email: "ada@example.com" }));
  secureItems.set("nija.device-key", Buffer.from(pair.secretKey).toString("hex"));
  const backend = fakeBackend({
    "POST /v1/auth/device/challenge": { body: { challenge_id: "ch-1", challenge, expires_in: 60 } },
    "POST /v1/auth/device/login": (call) => {
      const body = call.body as { challenge_id: string; signature: string };
      return body.challenge_id === "ch-1" && serverVerifies(pair.publicKey, challenge, body.signature)
        ? { body: TOKENS }
        : problem(401, "invalid_device_signature");
    },
  });
  const services = testServices();
  expect(await biometricSignIn(services)).toBe(true);
  expect(services.session.state.status).toBe("signedIn");
  expect(backend.called("POST", "/v1/auth/device/challenge")[0]!.body).toEqual({ device_id: "dev-1" });
  const prompt = (SecureStore.getItemAsync as jest.Mock).mock.calls.find(([key]) => key === "nija.device-key")!;
  expect(prompt[1]).toMatchObject({ requireAuthentication: true });
});

test("a cancelled prompt signs nothing and sends no login", async () => {
  secureItems.set("nija.device", JSON.stringify({ deviceId: "dev-1", email: "a@b.c" }));
  const getItem = SecureStore.getItemAsync as jest.Mock;
  const original = getItem.getMockImplementation()!;
  getItem.mockImplementation(async (key: string) => {
    if (key === "nija.device-key") throw new Error("User canceled the authentication");
    return original(key);
  });
  const backend = fakeBackend({ "POST /v1/auth/device/challenge": { body: { challenge_id: "ch-1", challenge, expires_in: 60 } } });
  const services = testServices();
  expect(await biometricSignIn(services)).toBe(false);
  expect(backend.called("POST", "/v1/auth/device/login")).toHaveLength(0);
  expect(services.session.state.status).not.toBe("signedIn");
  getItem.mockImplementation(original);
});

test("a step-up answered with the device signature retries the refused call", async () => {
  const pair = newKeyPair();
  secureItems.set("nija.device", JSON.stringify({ deviceId: "dev-1", email: "a@b.c" }));
  secureItems.set("nija.device-key", Buffer.from(pair.secretKey).toString("hex"));
  const backend = fakeBackend({
    "PUT /v1/bot": (call) => (call.headers.get("authorization") === "Bearer stepped" ? { body: { mode: "live" } } : problem(403, "step_up_required")),
    "POST /v1/auth/device/challenge": { body: { challenge_id: "ch-9", challenge, expires_in: 60 } },
    "POST /v1/auth/step-up": (call) => {
      const body = call.body as { challenge_id: string; signature: string };
      return serverVerifies(pair.publicKey, challenge, body.signature) ? { body: { access_token: "stepped", expires_in: 900, token_type: "bearer" } } : problem(403, "invalid_second_factor");
    },
  });
  const services = testServices();
  await services.session.accept(TOKENS);
  services.session.setStepUpHandler(() => stepUpWithDevice(services));
  const api = createApi(services.session);
  expect(await unwrap(api.PUT("/v1/bot", { body: { mode: "live" } }))).toEqual({ mode: "live" });
  expect(backend.called("PUT", "/v1/bot")).toHaveLength(2);
  expect(backend.called("POST", "/v1/auth/step-up")[0]!.body).toMatchObject({ challenge_id: "ch-9" });
});

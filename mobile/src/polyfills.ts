import { getRandomValues } from "expo-crypto";

// Hermes has no Web Crypto: key generation (@noble/curves) and ids need getRandomValues.
const scope = globalThis as { crypto?: Partial<Crypto> };
if (!scope.crypto) scope.crypto = {};
if (!scope.crypto.getRandomValues) {
  scope.crypto.getRandomValues = getRandomValues as Crypto["getRandomValues"];
}

import { add, dec, fixed, mul } from "../src/lib/decimal";
import { pct, qty, signedUsd, usd } from "../src/lib/format";
import { fromBase64Url, toBase64Url } from "../src/lib/base64url";

test("decimal strings add up without binary floating point", () => {
  expect(fixed(add(dec("0.1"), dec("0.2")), 2)).toBe("0.30");
  expect(fixed(add(dec("0.1"), dec("0.2")), 18)).toBe("0.300000000000000000");
  expect(fixed(mul(dec("63965.53"), dec("0.005")), 4)).toBe("319.8277");
  expect(fixed(dec("-1.005"), 2)).toBe("-1.01");
  expect(fixed(dec("1e-3"), 3)).toBe("0.001");
});

test("money reads with its sign, not only its colour", () => {
  expect(usd("1234567.891")).toBe("$1,234,567.89");
  expect(usd("-3.1")).toBe("−$3.10");
  expect(signedUsd("8.2")).toBe("+$8.20");
  expect(signedUsd("-0.001")).toBe("$0.00");
  expect(pct(11.44)).toBe("+11.4 %");
  expect(pct(-2)).toBe("−2.0 %");
  expect(qty("0.01000000")).toBe("0.01");
});

test("base64url round-trips any bytes", () => {
  for (const length of [0, 1, 2, 3, 31, 32, 65]) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) % 256);
    expect(Array.from(fromBase64Url(toBase64Url(bytes)))).toEqual(Array.from(bytes));
  }
  expect(toBase64Url(Uint8Array.from([251, 255]))).toBe("-_8");
});

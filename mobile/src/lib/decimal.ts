/**
 * Money arrives as decimal strings and is added up here without binary floating point:
 * fixed-point BigInt with 18 fractional digits (more than any venue quotes).
 */
const SCALE = 18;
const FACTOR = 10n ** BigInt(SCALE);

export type Dec = bigint;

export function dec(value: string | number | null | undefined): Dec {
  if (value === null || value === undefined || value === "") return 0n;
  const text = typeof value === "number" ? value.toFixed(SCALE) : value.trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return 0n;
  const [, sign, whole = "", fraction = "", exponent] = match;
  let digits = (whole || "0") + fraction;
  let point = (whole || "0").length + (exponent ? Number(exponent) : 0);
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  const intPart = digits.slice(0, point).padEnd(point, "0") || "0";
  const fracPart = digits.slice(point).padEnd(SCALE, "0").slice(0, SCALE);
  const magnitude = BigInt(intPart) * FACTOR + BigInt(fracPart || "0");
  return sign === "-" ? -magnitude : magnitude;
}

export const add = (...values: Dec[]): Dec => values.reduce((a, b) => a + b, 0n);
export const mul = (a: Dec, b: Dec): Dec => (a * b) / FACTOR;
export const div = (a: Dec, b: Dec): Dec => (b === 0n ? 0n : (a * FACTOR) / b);
export const sign = (a: Dec): -1 | 0 | 1 => (a > 0n ? 1 : a < 0n ? -1 : 0);
export const abs = (a: Dec): Dec => (a < 0n ? -a : a);

/** Rounded half away from zero to `places` digits, as a plain decimal string. */
export function fixed(a: Dec, places: number): string {
  const negative = a < 0n;
  const unit = 10n ** BigInt(SCALE - places);
  let scaled = (negative ? -a : a) / unit;
  if (((negative ? -a : a) % unit) * 2n >= unit) scaled += 1n;
  const text = scaled.toString().padStart(places + 1, "0");
  const whole = places ? text.slice(0, -places) : text;
  const fraction = places ? "." + text.slice(-places) : "";
  return (negative && scaled !== 0n ? "-" : "") + whole + fraction;
}

export function toNumber(a: Dec): number {
  return Number(fixed(a, 8));
}

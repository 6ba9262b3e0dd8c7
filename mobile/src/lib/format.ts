import { abs, dec, fixed, sign, type Dec } from "./decimal";

function groups(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "$1,234.56" (a leading minus sign for negatives, never colour alone). */
export function usd(value: string | Dec | null | undefined, places = 2): string {
  if (value === null || value === undefined) return "—";
  const amount = typeof value === "bigint" ? value : dec(value);
  const [whole = "0", fraction] = fixed(abs(amount), places).split(".");
  const body = `$${groups(whole)}${fraction ? "." + fraction : ""}`;
  return sign(amount) < 0 && fixed(abs(amount), places) !== fixed(0n, places) ? `−${body}` : body;
}

/** "+$8.20" / "−$3.10" / "$0.00". */
export function signedUsd(value: string | Dec | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const amount = typeof value === "bigint" ? value : dec(value);
  const text = usd(abs(amount));
  if (text === "$0.00") return text;
  return sign(amount) > 0 ? `+${text}` : sign(amount) < 0 ? `−${text}` : text;
}

export function pct(value: number | string | null | undefined, places = 1): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "string" ? Number(value) : value;
  if (!Number.isFinite(n)) return "—";
  const text = Math.abs(n).toFixed(places);
  if (Number(text) === 0) return `${(0).toFixed(places)} %`;
  return `${n > 0 ? "+" : "−"}${text} %`;
}

/** Quantities as the venue gave them, trailing zeros dropped. */
export function qty(value: string | null | undefined): string {
  if (!value) return "—";
  return value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value;
}

export function price(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const amount = dec(value);
  return usd(amount, abs(amount) < dec("1") ? 6 : 2);
}

export function duration(fromIso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** "just now", "3 min ago", "2 h ago", "4 days ago". */
export function age(timestampMs: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - timestampMs) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function day(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, {
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
  });
}

export function capitalise(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1).replace(/_/g, " ") : text;
}

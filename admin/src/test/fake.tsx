/**
 * A fake platform for page tests: `fakeFetch` answers requests from a table of
 * "METHOD /path" → answer, records every call, and 404s anything unexpected (so a page that
 * calls the wrong endpoint fails its test).
 */
import { render } from "@testing-library/react";
import { App } from "../App";
import { createApi, type Api } from "../api/client";
import { Session } from "../api/session";
import type { AdminUser } from "../api/admin";

export interface Answer {
  status?: number;
  body?: unknown;
}
type Handler = Answer | ((request: Request, body: unknown) => Answer | Promise<Answer>);
export type Routes = Record<string, Handler>;

export interface Call {
  method: string;
  path: string;
  search: URLSearchParams;
  body: unknown;
  authorization: string | null;
}

export function problem(status: number, code: string, detail: string, extra = {}): Answer {
  return { status, body: { type: `about:${code}`, title: "Refused", status, detail, code, instance: "/", ...extra } };
}

function base64url(value: object): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An access token shaped like the platform's (only its claims are read by the panel). */
export function token(claims: { sf?: boolean; n?: number; role?: string } = {}): string {
  const payload = { sub: "admin-1", role: claims.role ?? "admin", sf: claims.sf ?? true, n: claims.n ?? 0 };
  return `${base64url({ alg: "HS256" })}.${base64url(payload)}.sig`;
}

export function fakeFetch(routes: Routes) {
  const calls: Call[] = [];
  const fetchImpl = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    calls.push({
      method: request.method,
      path: url.pathname,
      search: url.searchParams,
      body,
      authorization: request.headers.get("authorization"),
    });
    const key = `${request.method} ${url.pathname}`;
    const handler = routes[key];
    const answer: Answer = handler
      ? typeof handler === "function"
        ? await handler(request, body)
        : handler
      : problem(404, "not_found", `no fake for ${key}`);
    const status = answer.status ?? 200;
    const problemType = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status,
      headers: { "content-type": problemType },
    });
  };
  return { fetch: fetchImpl, calls };
}

export function renderAt(
  path: string,
  routes: Routes,
  { signedIn = true, secondFactor = true }: { signedIn?: boolean; secondFactor?: boolean } = {},
): { api: Api; calls: Call[] } {
  history.replaceState(null, "", `/admin${path}`);
  const fake = fakeFetch(routes);
  const session = new Session();
  if (signedIn) session.start(token({ sf: secondFactor }), "refresh-1");
  const api = createApi(session, fake.fetch, "http://panel.test");
  render(<App api={api} />);
  return { api, calls: fake.calls };
}

export const ADA: AdminUser = {
  id: "7d0c3c4e-1111-4222-8333-944455556666",
  email: "ada@example.com",
  role: "trader",
  tier: "basic",
  status: "active",
  suspended_at: null,
  suspended_reason: "",
  two_factor_enabled: false,
  created_at: "2026-11-30T10:00:00Z",
};

export const adaDetail = (over: Partial<AdminUser> = {}) => ({
  user: { ...ADA, ...over },
  display_name: "Ada",
  active_sessions: 2,
  devices: 1,
});

export const VENUES = [
  { venue: "coinbase", breaker_state: "closed", in_flight: 0, latency_p50_ms: 12, latency_p99_ms: 48, queue_depth: 0, success_rate: 0.995 },
  { venue: "kraken", breaker_state: "open", in_flight: 1, latency_p50_ms: 20, latency_p99_ms: 300, queue_depth: 4, success_rate: 0.5 },
];

export const ROUTING = {
  global_kill_switch: false,
  decisions: [
    {
      order_id: "0f0e0d0c-aaaa-4bbb-8ccc-123456789abc",
      attempt: 1,
      user_id: ADA.id,
      symbol: "BTC/USD",
      side: "buy",
      quantity: "0.01",
      kind: "market",
      chosen: "kraken",
      decided_at: "2026-12-01T09:00:00Z",
      why: "lowest expected cost",
      candidates: [
        {
          venue: "kraken", eligible: true, reason: null, score: "0.81234567", expected_cost: "0.812345",
          fee: "0.52", slippage: "0.25", latency_risk: "0.042345", expected_price: "50001.5",
          success_rate: 0.99, latency_ms: 42, queue_load: 0,
        },
        { venue: "coinbase", eligible: true, reason: null, score: "1.1", expected_cost: "1.1", fee: "0.6", slippage: "0.5", latency_risk: "0", expected_price: "50010", success_rate: 0.95, latency_ms: 30, queue_load: 2 },
        { venue: "binance", eligible: false, reason: "breaker_open" },
      ],
    },
  ],
  venues: [
    { venue: "coinbase", routed_24h: 90, failed_24h: 1, in_flight: 0, breaker_state: "closed", success_rate_by_pair: { "BTC/USD": 0.99 } },
    { venue: "kraken", routed_24h: 10, failed_24h: 9, in_flight: 1, breaker_state: "open", success_rate_by_pair: {} },
  ],
};

export const AUDIT_ENTRY = {
  id: 41,
  at: "2026-12-01T09:05:00Z",
  action: "user_suspended",
  user_id: ADA.id,
  actor_id: "admin",
  venue: null,
  credential_id: null,
  details: { reason: "fraud review" },
  prev_hash: "aa",
  hash: "bb",
};

export const ADMIN_ID = "a0a0a0a0-1111-4222-8333-944455556666";

export const OVERVIEW = {
  as_of: "2026-12-01T09:10:00Z",
  users: { total: 100, by_status: { active: 97, suspended: 3 }, by_tier: { basic: 80, pro: 15, enterprise: 5 } },
  bots: { running: 12, paused: 3, off: 85 },
  trading: { orders_24h: 400, trades_24h: 350, volume_24h: "1234567.890000", orders_per_minute: "2.4", error_rate: 0.025 },
  order_path: { samples: 350, p50_ms: 41.5, p99_ms: 180 },
  venues: {
    breakers: { closed: 1, open: 1, half_open: 0, stale: 0 },
    venues: VENUES.map((v) => ({ ...v, as_of: "2026-12-01T09:09:55Z" })),
  },
};

export const NO_SWITCHES = { global: null, users: [] };
export const SWITCHES = {
  global: {
    scope: "global", user_id: null, set_by: "admin", set_by_user_id: ADMIN_ID,
    reason: "exchange incident", since: "2026-12-01T09:00:00Z",
  },
  users: [
    { scope: "user", user_id: ADA.id, set_by: "user", set_by_user_id: ADA.id, reason: "halted by the trader", since: "2026-12-01T08:00:00Z" },
  ],
};

export const ORDER = {
  id: "0f0e0d0c-aaaa-4bbb-8ccc-123456789abc", status: "filled", symbol: "BTC/USD", side: "buy", type: "market",
  quantity: "0.01000000", limit_price: null, filled_quantity: "0.01", average_price: "50001.50",
  fees: "0.52", fee_currency: "USD", venue: "kraken", reason: null, revision: 3,
  created_at: "2026-12-01T09:00:00Z", updated_at: "2026-12-01T09:00:01Z",
};
export const POSITION = {
  position_id: "p-1", venue: "kraken", symbol: "BTC/USD", quantity: "0.01", average_entry: "50001.5",
  mark_price: "50100", unrealised_pnl: "0.985", realised_pnl: "-0.52", fees: "0.52", status: "open",
};
export const CREDENTIAL = {
  id: "c0c0c0c0-1111-4222-8333-944455556666", venue: "kraken", environment: "simulated", label: "main",
  key_hint: "WXYZ", status: "active", verification: "verified", verified_at: "2026-11-30T10:05:00Z",
  refusal_reason: null, permissions: ["trade", "read"], markets: 120, balances: { USD: "10000.00" },
  created_at: "2026-11-30T10:00:00Z", rotated_at: null, version: 1,
};
export const BOT = {
  status: "paused", paused_reason: "Paused by the kill switch", mode: "paper", strategy: "apex_v71",
  venue: "kraken", pairs: ["BTC/USD"], timeframe: "5m", risk_level: "low", max_position_usd: "500",
  equity_usd: "10000", last_signal_at: null, open_positions: [],
};
export const SESSIONS = [
  { id: "5e551011-1111-4222-8333-944455556666", created_at: "2026-12-01T08:00:00Z", last_used_at: "2026-12-01T09:00:00Z", expires_at: "2026-12-31T08:00:00Z", method: "password", ip: "203.0.113.7", user_agent: "NIJA/1.0 iOS" },
  { id: "5e551012-1111-4222-8333-944455556666", created_at: "2026-11-30T08:00:00Z", last_used_at: "2026-11-30T09:00:00Z", expires_at: "2026-12-30T08:00:00Z", method: "device", ip: "198.51.100.4", user_agent: "NIJA/1.0 Android" },
];
export const DEVICES = [
  { id: "de71ce01-1111-4222-8333-944455556666", name: "Ada's iPhone", created_at: "2026-11-30T10:00:00Z", last_used_at: null },
];
export const PUSH_DEVICES = {
  items: [
    { id: "9d9d9d9d-1111-4222-8333-944455556666", device_id: "phone-1", platform: "ios", token_hint: "expo …a1b2", created_at: "2026-11-30T10:00:00Z", updated_at: "2026-11-30T10:00:00Z", last_sent_at: null },
  ],
};

/** Every read a user's page makes, answered with a full support picture. */
export function userRoutes(id = ADA.id): Routes {
  const base = `GET /v1/admin/users/${id}`;
  return {
    [base]: { body: adaDetail() },
    "GET /v1/admin/audit": { body: { items: [AUDIT_ENTRY], next_before: null } },
    [`${base}/orders`]: { body: { items: [ORDER] } },
    [`${base}/positions`]: { body: [POSITION] },
    [`${base}/credentials`]: { body: [CREDENTIAL] },
    [`${base}/bot`]: { body: BOT },
    [`${base}/sessions`]: { body: SESSIONS },
    [`${base}/devices`]: { body: DEVICES },
    [`${base}/push-devices`]: { body: PUSH_DEVICES },
  };
}

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

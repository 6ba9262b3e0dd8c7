import { act, render, waitFor } from "@testing-library/react-native";
import type { ReactElement } from "react";
import { StepUpGate } from "../src/auth/StepUpGate";
import { createServices, ServicesProvider, type Services } from "../src/services";
import { ConfirmProvider } from "../src/ui/Confirm";
import { QueryClient } from "@tanstack/react-query";

export const BASE = "http://nija.test";
export type Call = { method: string; path: string; query: URLSearchParams; body: unknown; headers: Headers };
type Answer = { status?: number; body?: unknown } | ((call: Call) => { status?: number; body?: unknown });

export function problem(status: number, code: string, detail = code) {
  return { status, body: { type: "about:blank", title: code, status, detail, code, instance: "/" } };
}

/**
 * A fake platform behind globalThis.fetch: routes are "METHOD /path" with `:param` segments;
 * every call is recorded; an unknown route answers 404 (as the platform would).
 */
export function fakeBackend(routes: Record<string, Answer>) {
  const calls: Call[] = [];
  const table = Object.entries(routes).map(([key, answer]) => {
    const [method, path] = key.split(" ") as [string, string];
    const pattern = new RegExp("^" + path.replace(/:[a-z_]+/g, "[^/]+") + "$");
    return { method, pattern, answer };
  });
  const fetch = jest.fn(async (input: Request | string, init?: RequestInit) => {
    const request = typeof input === "string" ? new Request(input, init) : input;
    const url = new URL(request.url);
    const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers,
    };
    calls.push(call);
    const route = table.find((r) => r.method === request.method && r.pattern.test(url.pathname));
    const answer = route ? (typeof route.answer === "function" ? route.answer(call) : route.answer) : problem(404, "not_found");
    const status = answer.status ?? 200;
    const body = answer.body === undefined || status === 204 ? null : JSON.stringify(answer.body);
    return new Response(body, { status, headers: { "Content-Type": "application/json" } });
  });
  globalThis.fetch = fetch as unknown as typeof globalThis.fetch;
  return {
    calls,
    fetch,
    called: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
  };
}

export const TOKENS = { access_token: "access-1", refresh_token: "refresh-1", expires_in: 900, token_type: "bearer" as const };

const alive: Services[] = [];

export function testServices(): Services {
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false, gcTime: Infinity } },
  });
  const services = createServices({ baseUrl: BASE, queryClient });
  alive.push(services);
  return services;
}

/** Render a screen inside the app's providers; signed in unless told otherwise. */
export async function renderScreen(ui: ReactElement, options: { signedIn?: boolean; services?: Services } = {}) {
  const services = options.services ?? testServices();
  if (!(options.signedIn ?? true)) services.session.state = { status: "signedOut" };
  else if (services.session.state.status !== "signedIn") await services.session.accept(TOKENS);
  const view = render(
    <ServicesProvider services={services}>
      <ConfirmProvider>
        <StepUpGate>{ui}</StepUpGate>
      </ConfirmProvider>
    </ServicesProvider>,
  );
  await act(async () => undefined); // the live socket's first connect step settles inside act
  return { ...view, services };
}

export function cleanupServices() {
  act(() => {
    while (alive.length) {
      const services = alive.pop()!;
      services.live.stop();
      services.session.dispose();
      services.queryClient.clear();
    }
  });
}

afterEach(() => cleanupServices());

export const router = (globalThis as unknown as { __router: Record<string, jest.Mock> }).__router;
export const searchParams = (globalThis as unknown as { __searchParams: Record<string, string> }).__searchParams;
export const focus = (globalThis as unknown as { __focus: { refocus(): void } }).__focus;
export const secureItems = (globalThis as unknown as { __secure: Map<string, string> }).__secure;

export { waitFor };

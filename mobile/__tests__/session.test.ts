import { Session } from "../src/auth/session";
import { createApi } from "../src/api/client";
import { unwrap } from "../src/api/errors";
import { BASE, fakeBackend, problem, secureItems } from "./support";

const tokens = (n: number, expiresIn = 900) => ({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, expires_in: expiresIn, token_type: "bearer" as const });

afterEach(() => jest.useRealTimers());

test("the refresh token goes to SecureStore, the access token nowhere but memory", async () => {
  const session = new Session(BASE);
  await session.accept(tokens(1));
  expect(secureItems.get("nija.refresh")).toBe("refresh-1");
  expect([...secureItems.values()]).not.toContain("access-1");
  expect(await session.accessToken()).toBe("access-1");
  session.dispose();
});

test("a stored refresh token signs back in on start; a dead one signs out", async () => {
  secureItems.set("nija.refresh", "refresh-0");
  const backend = fakeBackend({ "POST /v1/auth/refresh": { body: tokens(1) } });
  const session = new Session(BASE);
  await session.restore();
  expect(session.state.status).toBe("signedIn");
  expect(backend.called("POST", "/v1/auth/refresh")[0]!.body).toEqual({ refresh_token: "refresh-0" });
  expect(secureItems.get("nija.refresh")).toBe("refresh-1");
  session.dispose();

  secureItems.set("nija.refresh", "spent");
  fakeBackend({ "POST /v1/auth/refresh": problem(401, "invalid_refresh_token") });
  const next = new Session(BASE);
  await next.restore();
  expect(next.state.status).toBe("signedOut");
  expect(secureItems.has("nija.refresh")).toBe(false);
});

test("the access token is renewed a minute before it expires", async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const backend = fakeBackend({ "POST /v1/auth/refresh": { body: tokens(2) } });
  const session = new Session(BASE);
  await session.accept(tokens(1, 900));
  await jest.advanceTimersByTimeAsync(839_000);
  expect(backend.called("POST", "/v1/auth/refresh")).toHaveLength(0);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(backend.called("POST", "/v1/auth/refresh")).toHaveLength(1);
  expect(await session.accessToken()).toBe("access-2");
  session.dispose();
});

test("a 401 renews the session once and retries the call with the new token", async () => {
  const backend = fakeBackend({
    "GET /v1/bot": (call) => (call.headers.get("authorization") === "Bearer access-2" ? { body: { status: "off" } } : problem(401, "token_revoked")),
    "POST /v1/auth/refresh": { body: tokens(2) },
  });
  const session = new Session(BASE);
  await session.accept(tokens(1));
  const api = createApi(session);
  expect(await unwrap(api.GET("/v1/bot"))).toEqual({ status: "off" });
  expect(backend.called("GET", "/v1/bot")).toHaveLength(2);
  session.dispose();
});

test("30 minutes without a touch signs out (and tells the server)", async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  const backend = fakeBackend({ "POST /v1/auth/refresh": { body: tokens(2, 3600) }, "POST /v1/auth/logout": { status: 204 } });
  const session = new Session(BASE);
  await session.accept(tokens(1, 3600));
  await jest.advanceTimersByTimeAsync(20 * 60_000);
  session.touch();
  await jest.advanceTimersByTimeAsync(29 * 60_000);
  expect(session.state.status).toBe("signedIn");
  await jest.advanceTimersByTimeAsync(2 * 60_000);
  expect(session.state.status).toBe("signedOut");
  expect(session.state.reason).toMatch(/30 minutes/);
  expect(backend.called("POST", "/v1/auth/logout")).toHaveLength(1);
  session.dispose();
});

test("the idle limit is a setting", async () => {
  jest.useFakeTimers({ now: 1_000_000 });
  fakeBackend({ "POST /v1/auth/logout": { status: 204 } });
  const session = new Session(BASE);
  await session.setIdleMinutes(5);
  await session.accept(tokens(1, 3600));
  await jest.advanceTimersByTimeAsync(5 * 60_000 + 15_000);
  expect(session.state.status).toBe("signedOut");
  const restored = new Session(BASE);
  fakeBackend({});
  await restored.restore();
  expect(restored.idleMinutes).toBe(5);
  session.dispose();
});

test("a session restored before onboarding finished carries on with it; finishing ends it for good", async () => {
  fakeBackend({ "POST /v1/auth/refresh": { body: tokens(2) } });
  const first = new Session(BASE);
  await first.accept(tokens(1), { onboarding: true });
  first.dispose();
  const reloaded = new Session(BASE);
  await reloaded.restore();
  expect(reloaded.state).toEqual({ status: "signedIn", onboarding: true });
  reloaded.finishOnboarding();
  reloaded.dispose();
  const again = new Session(BASE);
  await again.restore();
  expect(again.state).toEqual({ status: "signedIn", onboarding: false });
  again.dispose();
});

test("signing out forgets an unfinished onboarding; the next sign-in is a plain one", async () => {
  fakeBackend({ "POST /v1/auth/logout": { status: 204 } });
  const session = new Session(BASE);
  await session.accept(tokens(1), { onboarding: true });
  await session.signOut();
  await session.accept(tokens(2));
  expect(session.state).toEqual({ status: "signedIn", onboarding: false });
  session.dispose();
});

test("restoring again (a remounted root) neither renews nor signs in a second time", async () => {
  secureItems.set("nija.refresh", "refresh-0");
  const backend = fakeBackend({ "POST /v1/auth/refresh": { body: tokens(1) } });
  const session = new Session(BASE);
  await Promise.all([session.restore(), session.restore()]);
  await session.restore();
  expect(backend.called("POST", "/v1/auth/refresh")).toHaveLength(1);
  expect(session.state.status).toBe("signedIn");
  session.dispose();
});

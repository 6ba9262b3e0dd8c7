import { act } from "@testing-library/react-native";
import { LiveSocket, Revisions } from "../src/live/socket";
import { applyLive } from "../src/live/apply";
import * as f from "./fixtures";
import { fakeBackend, testServices, TOKENS } from "./support";

type Fake = { url: string; sent: string[]; open(): void; receive(m: object): void; close(code?: number): void };
const sockets = () => (globalThis as unknown as { __FakeWebSocket: { sockets: Fake[] } }).__FakeWebSocket.sockets;
const flush = () => act(async () => void (await new Promise((r) => setTimeout(r, 0))));

afterEach(() => jest.useRealTimers());

test("the token goes in the first message, never in the URL", async () => {
  const services = testServices();
  await services.session.accept(TOKENS);
  services.live.start();
  await flush();
  const socket = sockets()[0]!;
  expect(socket.url).toBe("ws://nija.test/v1/ws");
  socket.open();
  expect(JSON.parse(socket.sent[0]!)).toEqual({ type: "auth", token: "access-1" });
  socket.receive({ type: "auth.ok", user_id: "u-1" });
  expect(services.live.status).toBe("live");
});

test("pushes of one order keep the highest revision", () => {
  const services = testServices();
  const revisions = new Revisions();
  services.queryClient.setQueryData(["dashboard-orders"], { items: [] });
  applyLive(services.queryClient, revisions, { type: "order.filled", order: { ...f.order, revision: 5, status: "filled" } });
  applyLive(services.queryClient, revisions, { type: "order.updated", order: { ...f.order, revision: 4, status: "accepted" } });
  const list = services.queryClient.getQueryData<{ items: { status: string; revision: number }[] }>(["dashboard-orders"]);
  expect(list!.items).toHaveLength(1);
  expect(list!.items[0]).toMatchObject({ status: "filled", revision: 5 });
});

test("a dropped socket reconnects with backoff and refetches what it missed", async () => {
  jest.useFakeTimers();
  fakeBackend({});
  const services = testServices();
  await services.session.accept(TOKENS);
  const invalidate = jest.spyOn(services.queryClient, "invalidateQueries");
  services.live.start();
  await act(async () => void (await jest.advanceTimersByTimeAsync(0)));
  sockets()[0]!.open();
  sockets()[0]!.receive({ type: "auth.ok" });
  sockets()[0]!.close(1006);
  expect(services.live.status).toBe("reconnecting");
  await act(async () => void (await jest.advanceTimersByTimeAsync(1_000)));
  expect(sockets()).toHaveLength(2);
  invalidate.mockClear();
  sockets()[1]!.open();
  sockets()[1]!.receive({ type: "auth.ok" });
  expect(invalidate).toHaveBeenCalledWith();
});

test("backoff doubles up to 30 s, jittered between half and all of it", () => {
  const low = new LiveSocket("ws://x", testServices().session, { onMessage: () => {}, onReconnect: () => {} }, () => 0);
  const high = new LiveSocket("ws://x", testServices().session, { onMessage: () => {}, onReconnect: () => {} }, () => 1);
  expect([0, 1, 2, 3, 10].map((n) => low.backoff(n))).toEqual([500, 1000, 2000, 4000, 15000]);
  expect([0, 1, 2, 3, 10].map((n) => high.backoff(n))).toEqual([1000, 2000, 4000, 8000, 30000]);
});

test("a renewed token is sent again on the open socket", async () => {
  fakeBackend({ "POST /v1/auth/refresh": { body: { ...TOKENS, access_token: "access-2", refresh_token: "refresh-2" } } });
  const services = testServices();
  await services.session.accept(TOKENS);
  services.live.start();
  await flush();
  const socket = sockets()[0]!;
  socket.open();
  await services.session.refresh();
  expect(socket.sent.map((s) => JSON.parse(s))).toContainEqual({ type: "auth", token: "access-2" });
});

test("4401 renews the session before reconnecting; 4403 signs out", async () => {
  jest.useFakeTimers();
  const backend = fakeBackend({
    "POST /v1/auth/refresh": { body: { ...TOKENS, access_token: "access-2", refresh_token: "refresh-2" } },
    "POST /v1/auth/logout": { status: 204 },
  });
  const services = testServices();
  await services.session.accept(TOKENS);
  services.live.start();
  await act(async () => void (await jest.advanceTimersByTimeAsync(0)));
  sockets()[0]!.open();
  sockets()[0]!.close(4401);
  await act(async () => void (await jest.advanceTimersByTimeAsync(1_000)));
  expect(backend.called("POST", "/v1/auth/refresh")).toHaveLength(1);
  expect(sockets()).toHaveLength(2);
  sockets()[1]!.open();
  expect(JSON.parse(sockets()[1]!.sent[0]!)).toEqual({ type: "auth", token: "access-2" });
  sockets()[1]!.close(4403);
  await act(async () => void (await jest.advanceTimersByTimeAsync(0)));
  expect(services.session.state.status).toBe("signedOut");
});

test("a fill, a position's update and a trade each refresh activity; an older push does not", () => {
  const services = testServices();
  const revisions = new Revisions();
  const invalidate = jest.spyOn(services.queryClient, "invalidateQueries");
  const refreshed = () => invalidate.mock.calls.map(([filters]) => JSON.stringify(filters?.queryKey));
  applyLive(services.queryClient, revisions, { type: "order.filled", order: { ...f.order, revision: 2 } });
  expect(refreshed()).toContain('["activity"]');
  invalidate.mockClear();
  applyLive(services.queryClient, revisions, { type: "position.updated", position: { ...f.dashPosition, status: "closed" }, revision: 5 });
  expect(refreshed()).toEqual(['["positions"]', `["position","${f.dashPosition.id}"]`, '["overview"]', '["activity"]']);
  invalidate.mockClear();
  applyLive(services.queryClient, revisions, { type: "trade.executed", trade: f.closeItem, revision: 3 });
  expect(refreshed()).toEqual(['["activity"]', '["overview"]']);
  invalidate.mockClear();
  applyLive(services.queryClient, revisions, { type: "trade.executed", trade: f.closeItem, revision: 2 });
  applyLive(services.queryClient, revisions, { type: "position.updated", position: f.dashPosition, revision: 4 });
  expect(invalidate).not.toHaveBeenCalled();
});

import { act, fireEvent, screen, waitFor } from "@testing-library/react-native";
import { File } from "expo-file-system";
import * as Sharing from "expo-sharing";
import { applyLive } from "../src/live/apply";
import { Revisions } from "../src/live/socket";
import { ActivityScreen } from "../src/screens/Activity";
import * as f from "./fixtures";
import { fakeBackend, focus, problem, renderScreen } from "./support";

const page = (items: object[], next: string | null = null) => ({ body: { items, next_cursor: next } });

test("grouped by date with Buy, Take Profit, Stop Loss and Bot tags", async () => {
  fakeBackend({ "GET /v1/dashboard/activity": page([f.tradeItem, f.botItem, f.closeItem, f.stopItem]) });
  await renderScreen(<ActivityScreen />);
  expect(await screen.findByLabelText("Buy: Buy 0.01 BTC/USD at $60,000.00 on Binance")).toBeTruthy();
  expect(screen.getByLabelText("Take Profit: Closed BTC/USD on Binance (take profit)")).toBeTruthy();
  expect(screen.getByLabelText("Stop Loss: Closed BTC/USD on Binance (stop loss)")).toBeTruthy();
  expect(screen.getByLabelText("Bot: Bot paused: kill switch")).toBeTruthy();
  expect(screen.getAllByLabelText(/Realised P&L: gain of \$8\.20 \(\+11\.4 %\)/)).toHaveLength(1);
  const headings = screen.getAllByRole("header").map((h) => h.props.children);
  expect(new Set(headings).size).toBe(2); // today, and three days ago
});

test("filters go to the server", async () => {
  const backend = fakeBackend({ "GET /v1/dashboard/activity": page([f.tradeItem]) });
  await renderScreen(<ActivityScreen />);
  await screen.findByLabelText(/^Buy: /);
  fireEvent.press(screen.getByLabelText("Type: Closes"));
  await waitFor(() => expect(backend.calls.at(-1)!.query.get("type")).toBe("close"));
  fireEvent.press(screen.getByLabelText("P&L: Losses"));
  await waitFor(() => expect(backend.calls.at(-1)!.query.get("pnl")).toBe("negative"));
  fireEvent.press(screen.getByLabelText("When: 7 days"));
  await waitFor(() => expect(backend.calls.at(-1)!.query.get("from")).toBeTruthy());
  const from = Date.parse(backend.calls.at(-1)!.query.get("from")!);
  expect(Math.round((Date.now() - from) / 86_400_000)).toBe(7);
  fireEvent.press(await screen.findByLabelText("Venue: Binance"));
  await waitFor(() => expect(backend.calls.at(-1)!.query.get("venue")).toBe("binance"));
});

test("scrolling to the end loads the next page with the cursor", async () => {
  const backend = fakeBackend({
    "GET /v1/dashboard/activity": (call) => (call.query.get("cursor") === "c1" ? page([f.closeItem]) : page([f.tradeItem], "c1")),
  });
  await renderScreen(<ActivityScreen />);
  await screen.findByLabelText(/^Buy: /);
  fireEvent(screen.getByTestId("activity"), "onEndReached");
  expect(await screen.findByLabelText(/^Take Profit: /)).toBeTruthy();
  expect(backend.calls.at(-1)!.query.get("cursor")).toBe("c1");
});

test("empty, and an error with retry", async () => {
  fakeBackend({ "GET /v1/dashboard/activity": page([]) });
  const first = await renderScreen(<ActivityScreen />);
  expect(await screen.findByText(/No activity yet/)).toBeTruthy();
  first.unmount();
  fakeBackend({ "GET /v1/dashboard/activity": problem(500, "internal", "Boom") });
  await renderScreen(<ActivityScreen />);
  expect(await screen.findByText(/Could not load activity: Boom/)).toBeTruthy();
  expect(screen.getByLabelText("Retry loading activity")).toBeTruthy();
});

test("CSV export goes to the share sheet on a phone", async () => {
  const csv = "time_utc,venue,symbol\n2026-01-01T00:00:00Z,binance,BTC/USD\n";
  const backend = fakeBackend({
    "GET /v1/dashboard/activity": page([f.tradeItem]),
    "GET /v1/dashboard/activity/export": { body: csv },
  });
  globalThis.fetch = jest.fn(async (request: Request) => {
    if (new URL(request.url).pathname.endsWith("/export")) {
      backend.calls.push({ method: "GET", path: "/v1/dashboard/activity/export", query: new URL(request.url).searchParams, body: undefined, headers: request.headers });
      return new Response(csv, { status: 200, headers: { "Content-Type": "text/csv" } });
    }
    return backend.fetch(request);
  }) as unknown as typeof fetch;
  await renderScreen(<ActivityScreen />);
  fireEvent.press(await screen.findByLabelText("Export activity as CSV"));
  expect(await screen.findByText(/Exported nija-activity-/)).toBeTruthy();
  const call = backend.called("GET", "/v1/dashboard/activity/export")[0]!;
  expect(call.query.get("format")).toBe("csv");
  expect(call.headers.get("authorization")).toBe("Bearer access-1");
  const [uri, options] = (Sharing.shareAsync as jest.Mock).mock.calls[0]!;
  expect(options).toMatchObject({ mimeType: "text/csv" });
  expect((File as unknown as { written: Map<string, string> }).written.get(uri)).toBe(csv);
});

test("a refused export says why", async () => {
  fakeBackend({
    "GET /v1/dashboard/activity": page([f.tradeItem]),
    "GET /v1/dashboard/activity/export": problem(429, "rate_limited", "Too many exports"),
  });
  await renderScreen(<ActivityScreen />);
  fireEvent.press(await screen.findByLabelText("Export activity as CSV"));
  expect(await screen.findByText("Export failed: Too many exports")).toBeTruthy();
});

test("a close pushed while the first load is in flight is fetched again, not lost", async () => {
  // The first answer was read before the close committed; the push arrives while it is on
  // its way. Invalidating then only joins that load (react-query does not restart a first
  // load), which would leave the list without the close until something else refetched it.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let answers = 0;
  const backend = fakeBackend({
    "GET /v1/dashboard/activity": () => (++answers === 1 ? page([f.tradeItem]) : page([{ ...f.closeItem, at: new Date().toISOString() }, f.tradeItem])),
  });
  globalThis.fetch = jest.fn(async (request: Request) => {
    const held = new URL(request.url).pathname === "/v1/dashboard/activity" && answers === 0;
    const response = await backend.fetch(request);
    if (held) await gate;
    return response;
  }) as unknown as typeof fetch;
  const { services } = await renderScreen(<ActivityScreen />);
  await waitFor(() => expect(answers).toBe(1));
  act(() => applyLive(services.queryClient, new Revisions(), { type: "trade.executed", trade: { ...f.closeItem, revision: 3 }, revision: 3 }));
  await act(async () => release());
  expect(await screen.findByLabelText(/^Take Profit: Closed BTC\/USD/)).toBeTruthy();
  expect(answers).toBe(2);
});

test("the list refetches when the tab comes back into focus", async () => {
  let answers = 0;
  fakeBackend({ "GET /v1/dashboard/activity": () => (++answers === 1 ? page([f.tradeItem]) : page([{ ...f.closeItem, at: new Date().toISOString() }, f.tradeItem])) });
  await renderScreen(<ActivityScreen />);
  await screen.findByLabelText(/^Buy: /);
  act(() => focus.refocus());
  expect(await screen.findByLabelText(/^Take Profit: Closed BTC\/USD/)).toBeTruthy();
});

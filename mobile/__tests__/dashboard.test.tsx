import { act, fireEvent, screen, waitFor } from "@testing-library/react-native";
import { DashboardScreen } from "../src/screens/Dashboard";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, router } from "./support";

const base = {
  "GET /v1/bot": { body: f.bot },
  "GET /v1/dashboard/overview": { body: f.overview },
};
type Fake = { open(): void; receive(m: object): void };
const sockets = () => (globalThis as unknown as { __FakeWebSocket: { sockets: Fake[] } }).__FakeWebSocket.sockets;

test("the bot, today's P&L, trades, win rate, all-time P&L, open positions, recent activity", async () => {
  fakeBackend(base);
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText("Bot: Active")).toBeTruthy();
  expect(screen.getByLabelText("Exchanges: Binance")).toBeTruthy();
  expect(screen.getByLabelText(/Last trade: Buy 0.01 BTC\/USD at \$60,000.00 on Binance/)).toBeTruthy();
  expect(await screen.findByLabelText("Today's P&L: gain of $12.50 (+1.5 %)")).toBeTruthy();
  expect(screen.getByLabelText("Trades today: 3")).toBeTruthy();
  expect(screen.getByLabelText("Win rate: 66.7 %")).toBeTruthy();
  expect(screen.getByLabelText(/All-time P&L: gain of \$42\.10/)).toBeTruthy();
  fireEvent.press(screen.getByLabelText("Details of BTC/USD"));
  expect(router.push).toHaveBeenCalledWith("/position/pos-1");
  expect(screen.getByLabelText("Take Profit: Closed BTC/USD on Binance (take profit)")).toBeTruthy();
});

test("says so when there is nothing yet", async () => {
  fakeBackend({ ...base, "GET /v1/dashboard/overview": { body: { ...f.overview, open_positions: [], activity: [], last_trade: null } } });
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText(/No open positions/)).toBeTruthy();
  expect(screen.getByText("No trades yet.")).toBeTruthy();
  expect(screen.getByLabelText("Last trade: none yet")).toBeTruthy();
});

test("an error offers a retry that loads again", async () => {
  let fail = true;
  const backend = fakeBackend({ ...base, "GET /v1/bot": () => (fail ? problem(503, "unavailable", "Try later") : { body: f.bot }) });
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText(/Could not load your bot: Try later/)).toBeTruthy();
  fail = false;
  fireEvent.press(screen.getByLabelText("Retry loading your bot"));
  expect(await screen.findByText("Bot: Active")).toBeTruthy();
  expect(backend.called("GET", "/v1/bot")).toHaveLength(2);
});

test("offline: the last data stays, with its age and a retry", async () => {
  fakeBackend(base);
  const { services } = await renderScreen(<DashboardScreen />);
  expect(await screen.findByText("Bot: Active")).toBeTruthy();
  globalThis.fetch = jest.fn(async () => {
    throw new TypeError("Network request failed");
  }) as unknown as typeof fetch;
  await act(async () => {
    await services.queryClient.refetchQueries({ queryKey: ["overview"] }).catch(() => undefined);
  });
  expect(await screen.findByText(/Offline — showing your P&L from just now/)).toBeTruthy();
  expect(screen.getByLabelText("Trades today: 3")).toBeTruthy();
});

test("Pause asks first, then pauses; cancelling sends nothing", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/bot/pause": { body: { ...f.bot, status: "paused" } } });
  await renderScreen(<DashboardScreen />);
  fireEvent.press(await screen.findByLabelText("Pause the bot"));
  fireEvent.press(await screen.findByText("Cancel"));
  await waitFor(() => expect(screen.queryByText("Pause the bot?")).toBeNull());
  expect(backend.called("POST", "/v1/bot/pause")).toHaveLength(0);
  // The cancelled action settles a render after the dialog closes; until then Pause is busy.
  await waitFor(() => expect(screen.getByLabelText("Pause the bot")).toBeEnabled());
  fireEvent.press(screen.getByLabelText("Pause the bot"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  await waitFor(() => expect(backend.called("POST", "/v1/bot/pause")).toHaveLength(1));
});

test("a refused resume shows the server's reason", async () => {
  fakeBackend({
    ...base,
    "GET /v1/bot": { body: { ...f.bot, status: "paused", paused_reason: "kill_switch" } },
    "POST /v1/bot/start": problem(409, "bot_halted", "A kill switch holds your trading"),
  });
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText("Bot: Paused (kill switch)")).toBeTruthy();
  fireEvent.press(screen.getByLabelText("Resume the bot"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText("A kill switch holds your trading")).toBeTruthy();
});

test("a live pnl.updated changes today's figure; a late, older one does not", async () => {
  fakeBackend(base);
  await renderScreen(<DashboardScreen />);
  await screen.findByLabelText("Today's P&L: gain of $12.50 (+1.5 %)");
  const socket = sockets()[0]!;
  const pnl = (value: string, revision: number) => ({
    type: "pnl.updated",
    revision,
    unrealised_pnl: "1",
    pnl: { ...f.overview.pnl, today: { ...f.overview.pnl.today, pnl: value, pnl_pct: null } },
  });
  act(() => {
    socket.open();
    socket.receive({ type: "auth.ok" });
    socket.receive(pnl("-4", 7));
    socket.receive(pnl("99", 6));
  });
  expect(await screen.findByLabelText("Today's P&L: loss of $4.00")).toBeTruthy();
});

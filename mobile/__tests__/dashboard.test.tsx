import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { DashboardScreen } from "../src/screens/Dashboard";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen } from "./support";

const base = {
  "GET /v1/bot": { body: f.bot },
  "GET /v1/positions": { body: [f.position, f.closedPosition] },
  "GET /v1/dashboard/orders": { body: { items: [f.order] } },
  "GET /v1/credentials": { body: [f.credential] },
};

test("shows the bot, P&L, open positions and recent activity", async () => {
  fakeBackend(base);
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText("Bot: Active")).toBeTruthy();
  expect(screen.getByLabelText("Exchanges: Binance")).toBeTruthy();
  expect(screen.getByLabelText(/Unrealised P&L: gain of \$10\.00/)).toBeTruthy();
  expect(screen.getByLabelText("Trades today: 1")).toBeTruthy();
  expect(screen.getByLabelText("Win rate: 0.0 %")).toBeTruthy();
  expect(screen.getByLabelText(/All-time P&L: gain of \$5\.50/)).toBeTruthy();
  expect(screen.getByLabelText("Details of BTC/USD")).toBeTruthy();
  expect(screen.getByText(/BTC\/USD · 0.01 of 0.01/)).toBeTruthy();
});

test("says so when there is nothing yet", async () => {
  fakeBackend({ ...base, "GET /v1/positions": { body: [] }, "GET /v1/dashboard/orders": { body: { items: [] } } });
  await renderScreen(<DashboardScreen />);
  expect(await screen.findByText(/No open positions/)).toBeTruthy();
  expect(screen.getByText("No trades yet.")).toBeTruthy();
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

test("Pause asks first, then pauses; cancelling sends nothing", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/bot/pause": { body: { ...f.bot, status: "paused" } } });
  await renderScreen(<DashboardScreen />);
  fireEvent.press(await screen.findByLabelText("Pause the bot"));
  fireEvent.press(await screen.findByText("Cancel"));
  await waitFor(() => expect(screen.queryByText("Pause the bot?")).toBeNull());
  expect(backend.called("POST", "/v1/bot/pause")).toHaveLength(0);
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

import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { PositionsScreen } from "../src/screens/Positions";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, router } from "./support";

const page = (items: object[], next: string | null = null) => ({
  body: { items, next_cursor: next, summary: { open: 2, closed: 5, value: "3510", unrealised: "6.9" } },
});
const base = { "GET /v1/dashboard/positions": page([f.dashPosition, f.ethPosition]) };

test("summary and cards with pair, entry, current, size, P&L and duration", async () => {
  fakeBackend(base);
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByLabelText("Open: 2")).toBeTruthy();
  expect(screen.getByLabelText("Closed: 5")).toBeTruthy();
  expect(screen.getByLabelText("Value: $3,510.00")).toBeTruthy();
  expect(screen.getByLabelText(/Unrealised P&L: gain of \$6\.90/)).toBeTruthy();
  expect(screen.getByLabelText("Entry: $60,000.00")).toBeTruthy();
  expect(screen.getByLabelText("Current: $61,000.00")).toBeTruthy();
  expect(screen.getByLabelText(/ETH\/USD P&L: loss of \$3\.10/)).toBeTruthy();
  expect(screen.getByLabelText(/Duration: 2h 0m/)).toBeTruthy();
});

test("venue and P&L filters ask the server; duration and search narrow the list", async () => {
  const backend = fakeBackend({
    "GET /v1/dashboard/positions": (call) =>
      call.query.get("pnl") === "negative" ? page([f.ethPosition]) : call.query.get("venue") === "binance" ? page([f.dashPosition]) : page([f.dashPosition, f.ethPosition]),
  });
  await renderScreen(<PositionsScreen />);
  await screen.findByLabelText("Open: 2");
  expect(backend.calls[0]!.query.get("status")).toBe("open");
  fireEvent.press(screen.getByLabelText("P&L: Losses"));
  await waitFor(() => expect(backend.calls.some((c) => c.query.get("pnl") === "negative")).toBe(true));
  await waitFor(() => expect(screen.queryByText("BTC/USD · Binance")).toBeNull());
  expect(screen.getByText("ETH/USD · Kraken")).toBeTruthy();
  fireEvent.press(screen.getByLabelText("P&L: Any P&L"));
  fireEvent.press(await screen.findByLabelText("Venue: Binance"));
  await waitFor(() => expect(backend.calls.some((c) => c.query.get("venue") === "binance")).toBe(true));
  await waitFor(() => expect(screen.queryByText("ETH/USD · Kraken")).toBeNull());
  expect(backend.calls.at(-1)!.query.get("venue")).toBe("binance");
  fireEvent.press(screen.getByLabelText("Venue: All venues"));
  await screen.findByText("ETH/USD · Kraken");
  fireEvent.changeText(screen.getByLabelText("Search by pair"), "eth");
  expect(screen.queryByText("BTC/USD · Binance")).toBeNull();
  fireEvent.changeText(screen.getByLabelText("Search by pair"), "");
  fireEvent.press(screen.getByLabelText("Duration: < 1 h"));
  expect(screen.queryByText("BTC/USD · Binance")).toBeNull();
  expect(screen.getByText("ETH/USD · Kraken")).toBeTruthy();
  fireEvent.press(screen.getByLabelText("Duration: Older"));
  expect(await screen.findByText("No position matches these filters.")).toBeTruthy();
});

test("no open position", async () => {
  fakeBackend({ "GET /v1/dashboard/positions": page([]) });
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByText("No open positions.")).toBeTruthy();
});

test("an error with retry", async () => {
  fakeBackend({ "GET /v1/dashboard/positions": problem(500, "internal", "Boom") });
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByText(/Could not load positions: Boom/)).toBeTruthy();
  expect(screen.getByLabelText("Retry loading positions")).toBeTruthy();
});

test("more pages load on demand with the cursor", async () => {
  const backend = fakeBackend({
    "GET /v1/dashboard/positions": (call) => (call.query.get("cursor") === "next-1" ? page([f.ethPosition]) : page([f.dashPosition], "next-1")),
  });
  await renderScreen(<PositionsScreen />);
  fireEvent.press(await screen.findByText("Load more"));
  expect(await screen.findByText("ETH/USD · Kraken")).toBeTruthy();
  expect(backend.calls.at(-1)!.query.get("cursor")).toBe("next-1");
});

test("swipe to close asks first and closes once; a close already in flight is refused with the reason", async () => {
  let closes = 0;
  const backend = fakeBackend({
    ...base,
    "POST /v1/positions/:id/close": () => (++closes === 1 ? { status: 202, body: { id: "ord-9", status: "accepted" } } : problem(409, "close_in_flight", "A close of this position is already on its way")),
  });
  await renderScreen(<PositionsScreen />);
  fireEvent.press(await screen.findByLabelText("Swipe action: close BTC/USD"));
  expect(await screen.findByText("Close BTC/USD?")).toBeTruthy();
  fireEvent.press(screen.getByTestId("confirm-yes"));
  await waitFor(() => expect(backend.called("POST", "/v1/positions/pos-1/close")).toHaveLength(1));
  expect(await screen.findByText(/Close sent/)).toBeTruthy();
  fireEvent.press(screen.getByLabelText("Close BTC/USD"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText("A close of this position is already on its way")).toBeTruthy();
});

test("details and price alert (button or swipe) open their screens", async () => {
  fakeBackend(base);
  await renderScreen(<PositionsScreen />);
  fireEvent.press(await screen.findByLabelText("Details of BTC/USD"));
  expect(router.push).toHaveBeenCalledWith("/position/pos-1");
  fireEvent.press(screen.getByLabelText("Swipe action: price alert for ETH/USD"));
  expect(router.push).toHaveBeenCalledWith("/price-alert?symbol=ETH%2FUSD");
});

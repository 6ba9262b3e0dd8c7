import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { PositionsScreen } from "../src/screens/Positions";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, router } from "./support";

const eth = { ...f.position, position_id: "pos-2", symbol: "ETH/USD", venue: "kraken", unrealised_pnl: "-3.1", mark_price: "2900", average_entry: "3000", quantity: "1" };
const base = { "GET /v1/positions": { body: [f.position, eth, f.closedPosition] }, "GET /v1/bot": { body: f.bot } };

test("summary and cards with pair, entry, current, size, P&L and duration", async () => {
  fakeBackend(base);
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByLabelText("Open: 2")).toBeTruthy();
  expect(screen.getByLabelText("Closed: 1")).toBeTruthy();
  expect(screen.getByLabelText("Value: $3,510.00")).toBeTruthy();
  expect(screen.getByLabelText(/Unrealised P&L: gain of \$6\.90/)).toBeTruthy();
  expect(screen.getByLabelText("Entry: $60,000.00")).toBeTruthy();
  expect(screen.getByLabelText("Current: $61,000.00")).toBeTruthy();
  expect(screen.getByLabelText(/ETH\/USD P&L: loss of \$3\.10/)).toBeTruthy();
  await waitFor(() => expect(screen.getByLabelText(/Duration: 2h 0m/)).toBeTruthy());
});

test("filters by venue, P&L and duration; search by pair", async () => {
  fakeBackend(base);
  await renderScreen(<PositionsScreen />);
  await screen.findByLabelText("Open: 2");
  fireEvent.press(screen.getByLabelText("P&L: Losses"));
  expect(screen.queryByText("BTC/USD · Binance")).toBeNull();
  expect(screen.getByText("ETH/USD · Kraken")).toBeTruthy();
  fireEvent.press(screen.getByLabelText("P&L: Any P&L"));
  fireEvent.press(screen.getByLabelText("Venue: Binance"));
  expect(screen.queryByText("ETH/USD · Kraken")).toBeNull();
  fireEvent.press(screen.getByLabelText("Venue: All venues"));
  fireEvent.changeText(screen.getByLabelText("Search by pair"), "eth");
  expect(screen.queryByText("BTC/USD · Binance")).toBeNull();
  fireEvent.changeText(screen.getByLabelText("Search by pair"), "");
  fireEvent.press(screen.getByLabelText("Duration: < 1 h"));
  expect(await screen.findByText("No position matches these filters.")).toBeTruthy();
});

test("no open position", async () => {
  fakeBackend({ ...base, "GET /v1/positions": { body: [] } });
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByText("No open positions.")).toBeTruthy();
});

test("an error with retry", async () => {
  fakeBackend({ ...base, "GET /v1/positions": problem(500, "internal", "Boom") });
  await renderScreen(<PositionsScreen />);
  expect(await screen.findByText(/Could not load positions: Boom/)).toBeTruthy();
  expect(screen.getByLabelText("Retry loading positions")).toBeTruthy();
});

test("Close asks first and closes once; a close already in flight is refused with the reason", async () => {
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
  fireEvent.press(screen.getByLabelText("Close BTC/USD"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText("A close of this position is already on its way")).toBeTruthy();
});

test("details and price alert open their screens", async () => {
  fakeBackend(base);
  await renderScreen(<PositionsScreen />);
  fireEvent.press(await screen.findByLabelText("Details of BTC/USD"));
  expect(router.push).toHaveBeenCalledWith("/position/pos-1");
  fireEvent.press(screen.getByLabelText("Price alert for ETH/USD"));
  expect(router.push).toHaveBeenCalledWith("/price-alert?symbol=ETH%2FUSD");
});

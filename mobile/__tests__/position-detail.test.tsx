import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { PositionDetailScreen } from "../src/screens/PositionDetail";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, searchParams } from "./support";

beforeEach(() => {
  searchParams.id = "pos-1";
});

const base = {
  "GET /v1/dashboard/positions/:id": { body: f.positionDetail },
  "GET /v1/dashboard/positions/:id/chart": { body: f.chart },
};

test("chart with entry, stop and target; details; the strategy block", async () => {
  const backend = fakeBackend(base);
  await renderScreen(<PositionDetailScreen />);
  expect(await screen.findByText("BTC/USD · Binance")).toBeTruthy();
  const chart = await screen.findByTestId("price-chart");
  expect(chart.props.accessibilityLabel).toBe(
    "BTC/USD price, 1D: from $60,000.00 to $61,000.00, low $60,000.00, high $61,000.00, entry $60,000.00, stop $59,000.00, target $61,000.00",
  );
  expect(screen.getByTestId("line-chart").props.accessibilityHint).toBe("2 points, each shown");
  expect(screen.getByLabelText("Amount: $600.00")).toBeTruthy();
  expect(screen.getByLabelText("Fees: $0.60")).toBeTruthy();
  expect(screen.getByLabelText("Entry score: 4 of 5")).toBeTruthy();
  expect(screen.getByLabelText("Stop: $59,000.00")).toBeTruthy();
  expect(screen.getByLabelText("Targets: $61,000.00 · $62,000.00 · $63,000.00")).toBeTruthy();
  expect(screen.getByLabelText("Trailing stop: On")).toBeTruthy();
  fireEvent.press(screen.getByLabelText("Chart range: 1W"));
  await waitFor(() => expect(backend.calls.some((c) => c.query.get("range") === "1W")).toBe(true));
  for (const range of ["1H", "4H", "1D", "1W", "1M", "ALL"]) expect(screen.getByLabelText(`Chart range: ${range}`)).toBeTruthy();
});

test("a position opened by hand has no strategy block; a range without prices says so", async () => {
  fakeBackend({
    "GET /v1/dashboard/positions/:id": { body: { ...f.positionDetail, strategy: null } },
    "GET /v1/dashboard/positions/:id/chart": { body: { ...f.chart, points: [] } },
  });
  await renderScreen(<PositionDetailScreen />);
  expect(await screen.findByText(/Opened by hand/)).toBeTruthy();
  expect(await screen.findByText("No prices in this range yet.")).toBeTruthy();
});

test("a position just opened, with one closed bar, shows that price rather than an empty plot", async () => {
  const bar = { t: new Date(Date.now() - 60_000).toISOString(), price: "60100" };
  fakeBackend({ ...base, "GET /v1/dashboard/positions/:id/chart": { body: { ...f.chart, points: [bar] } } });
  await renderScreen(<PositionDetailScreen />);
  const chart = await screen.findByTestId("price-chart");
  expect(chart.props.accessibilityLabel).toMatch(/^BTC\/USD price, 1D: from \$60,100\.00 to \$60,100\.00/);
  expect(screen.getByTestId("line-chart").props.accessibilityHint).toBe("1 point, each shown");
});

test("a long range draws a line without a dot per bar", async () => {
  const points = Array.from({ length: 300 }, (_, i) => ({ t: new Date(Date.now() - (300 - i) * 60_000).toISOString(), price: String(60000 + i) }));
  fakeBackend({ ...base, "GET /v1/dashboard/positions/:id/chart": { body: { ...f.chart, points } } });
  await renderScreen(<PositionDetailScreen />);
  await screen.findByTestId("price-chart");
  expect(screen.getByTestId("line-chart").props.accessibilityHint).toBe("300 points");
});

test("an unknown position (or someone else's) is an error with retry", async () => {
  fakeBackend({ "GET /v1/dashboard/positions/:id": problem(404, "position_not_found", "No such position") });
  await renderScreen(<PositionDetailScreen />);
  expect(await screen.findByText(/Could not load this position: No such position/)).toBeTruthy();
});

test("Close now: confirmed, sent once, then disabled", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/positions/:id/close": { status: 202, body: { id: "ord-9", status: "accepted" } } });
  await renderScreen(<PositionDetailScreen />);
  fireEvent.press(await screen.findByLabelText("Close BTC/USD now"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText(/Close sent/)).toBeTruthy();
  expect(screen.getByLabelText("Close BTC/USD now")).toBeDisabled();
  expect(backend.called("POST", "/v1/positions/pos-1/close")).toHaveLength(1);
});

test("a refused close shows why", async () => {
  fakeBackend({ ...base, "POST /v1/positions/:id/close": problem(409, "position_closed", "This position is already closed") });
  await renderScreen(<PositionDetailScreen />);
  fireEvent.press(await screen.findByLabelText("Close BTC/USD now"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText("This position is already closed")).toBeTruthy();
});

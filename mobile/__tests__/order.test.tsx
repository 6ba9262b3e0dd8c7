import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { NewOrderScreen } from "../src/screens/NewOrder";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen } from "./support";

test("a market buy is placed with an idempotency key; a retry reuses it", async () => {
  let first = true;
  const backend = fakeBackend({
    "GET /v1/venues": { body: f.venues },
    "POST /v1/orders": () => {
      if (first) {
        first = false;
        return problem(503, "unavailable", "Try again");
      }
      return { status: 202, body: { id: "ord-1", status: "accepted", venue: "binance", client_order_id: "c", created_at: "2026-01-01T00:00:00Z", kind: "simple" } };
    },
  });
  await renderScreen(<NewOrderScreen />);
  fireEvent.changeText(screen.getByLabelText("Quantity"), "0.005");
  fireEvent.press(screen.getByRole("button", { name: "Buy 0.005 BTC/USD" }));
  expect(await screen.findByText("Try again")).toBeTruthy();
  fireEvent.press(screen.getByRole("button", { name: "Buy 0.005 BTC/USD" }));
  expect(await screen.findByText("Order sent")).toBeTruthy();
  expect(screen.getByLabelText("Routed to: Binance")).toBeTruthy();
  const [a, b] = backend.called("POST", "/v1/orders");
  expect(a!.headers.get("idempotency-key")).toMatch(/^[0-9a-f]{32}$/);
  expect(b!.headers.get("idempotency-key")).toBe(a!.headers.get("idempotency-key"));
  expect(b!.body).toEqual({ symbol: "BTC/USD", side: "buy", type: "market", quantity: "0.005", signal: "entry" });
  expect(screen.getByRole("button", { name: "Buy 0.005 BTC/USD" })).toBeDisabled();
});

test("a limit sell sends its price; a changed form is a new order", async () => {
  const backend = fakeBackend({ "GET /v1/venues": { body: f.venues }, "POST /v1/orders": problem(422, "position_size_exceeded", "Order exceeds your position limit") });
  await renderScreen(<NewOrderScreen />);
  fireEvent.press(screen.getByLabelText("Side: Sell"));
  fireEvent.press(screen.getByLabelText("Type: Limit"));
  fireEvent.changeText(screen.getByLabelText("Limit price (USD)"), "70000");
  fireEvent.press(screen.getByRole("button", { name: /^Sell/ }));
  expect(await screen.findByText("Order exceeds your position limit")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Quantity"), "0.002");
  fireEvent.press(screen.getByRole("button", { name: /^Sell/ }));
  await waitFor(() => expect(backend.called("POST", "/v1/orders")).toHaveLength(2));
  const [a, b] = backend.called("POST", "/v1/orders");
  expect(a!.body).toEqual({ symbol: "BTC/USD", side: "sell", type: "limit", quantity: "0.001", signal: "exit", limit_price: "70000" });
  expect(b!.headers.get("idempotency-key")).not.toBe(a!.headers.get("idempotency-key"));
});

import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { NotificationsScreen } from "../src/screens/settings/Notifications";
import { PriceAlertScreen } from "../src/screens/settings/NotificationPrefs";
import type { Preferences, PriceAlert } from "../src/api/readside";
import type { Schemas } from "../src/api/queries";
import { fakeBackend, problem, renderScreen, searchParams } from "./support";

const note = { id: "n-1", kind: "order_filled", title: "Bought BTC", body: "Bought $150 of BTC at $63,280", created_at: "2026-01-01T00:00:00Z", read_at: null, order_id: "ord-1" } satisfies Schemas["NotificationView"];
const prefs = { push_enabled: true, trade_alerts: true, price_alerts: false, bot_alerts: true, daily_summary: true, daily_summary_time: "20:00", timezone: "Europe/Paris" } satisfies Preferences;
const alert = { id: "a-1", symbol: "BTC/USD", venue: null, direction: "above", price: "70000", status: "armed", created_at: "2026-01-01T00:00:00Z", triggered_at: null, triggered_price: null, triggered_venue: null } satisfies PriceAlert;
const base = {
  "GET /v1/notifications": { body: { items: [note], unread: 1 } },
  "GET /v1/notifications/preferences": { body: prefs },
  "GET /v1/price-alerts": { body: { items: [alert] } },
};

test("notifications, push per type, price alerts", async () => {
  fakeBackend(base);
  await renderScreen(<NotificationsScreen />);
  expect(await screen.findByText("Bought $150 of BTC at $63,280")).toBeTruthy();
  expect(screen.getByText("1 unread")).toBeTruthy();
  expect(await screen.findByLabelText("Trades")).toBeTruthy();
  expect(screen.getByLabelText("Price alerts").props.value).toBe(false);
  expect(screen.getByLabelText("Daily summary at").props.value).toBe("20:00");
  expect(screen.getByText(/BTC\/USD above \$70,000.00 · armed/)).toBeTruthy();
});

test("a switch saves that type only; marking read and deleting an alert call their endpoints", async () => {
  const backend = fakeBackend({
    ...base,
    "PUT /v1/notifications/preferences": (call) => ({ body: { ...prefs, ...(call.body as object) } }),
    "POST /v1/notifications/:id/read": { body: { ...note, read_at: "2026-01-01T00:01:00Z" } },
    "DELETE /v1/price-alerts/:id": { status: 204 },
    "POST /v1/notifications/read-all": { body: { marked: 1, unread: 0 } },
  });
  await renderScreen(<NotificationsScreen />);
  fireEvent(await screen.findByLabelText("Price alerts"), "valueChange", true);
  await waitFor(() => expect(backend.called("PUT", "/v1/notifications/preferences")).toHaveLength(1));
  expect(backend.called("PUT", "/v1/notifications/preferences")[0]!.body).toEqual({ price_alerts: true });
  fireEvent.press(screen.getByLabelText("Mark Bought BTC read"));
  await waitFor(() => expect(backend.called("POST", "/v1/notifications/n-1/read")).toHaveLength(1));
  fireEvent.press(screen.getByLabelText("Delete alert BTC/USD above 70000"));
  await waitFor(() => expect(backend.called("DELETE", "/v1/price-alerts/a-1")).toHaveLength(1));
  fireEvent.press(screen.getByRole("button", { name: "Mark all read" }));
  await waitFor(() => expect(backend.called("POST", "/v1/notifications/read-all")).toHaveLength(1));
});

test("empty lists say so; a failing list offers a retry", async () => {
  fakeBackend({ ...base, "GET /v1/notifications": { body: { items: [], unread: 0 } }, "GET /v1/price-alerts": problem(500, "internal", "Boom") });
  await renderScreen(<NotificationsScreen />);
  expect(await screen.findByText("No notifications yet.")).toBeTruthy();
  expect(await screen.findByText(/Could not load price alerts: Boom/)).toBeTruthy();
});

test("on a phone, push is turned on by registering this phone", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/push/devices": { status: 201, body: { id: "pd-1" } } });
  await renderScreen(<NotificationsScreen />);
  fireEvent.press(await screen.findByRole("button", { name: "Turn on push notifications" }));
  expect(await screen.findByText("This phone gets push notifications.")).toBeTruthy();
  expect(backend.called("POST", "/v1/push/devices")).toHaveLength(1);
});

test("a price alert is set for the position's pair; a bad price is refused", async () => {
  searchParams.symbol = "ETH/USD";
  let refuse = true;
  const backend = fakeBackend({
    "POST /v1/price-alerts": (call) => (refuse ? problem(422, "invalid_price", "The price must be positive") : { status: 201, body: { ...alert, ...(call.body as object), id: "a-2" } }),
  });
  await renderScreen(<PriceAlertScreen />);
  expect(screen.getByLabelText("Pair").props.value).toBe("ETH/USD");
  fireEvent.press(screen.getByLabelText("When the price goes: Below"));
  fireEvent.changeText(screen.getByLabelText("Price (USD)"), "2500");
  fireEvent.press(screen.getByRole("button", { name: "Set alert" }));
  expect(await screen.findByText("The price must be positive")).toBeTruthy();
  refuse = false;
  fireEvent.press(screen.getByRole("button", { name: "Set alert" }));
  expect(await screen.findByText(/Alert set: ETH\/USD below \$2,500.00/)).toBeTruthy();
  expect(backend.called("POST", "/v1/price-alerts")[1]!.body).toEqual({ symbol: "ETH/USD", direction: "below", price: "2500" });
});

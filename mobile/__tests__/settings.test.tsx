import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import * as Clipboard from "expo-clipboard";
import { SettingsScreen } from "../src/screens/settings/Menu";
import { ProfileScreen } from "../src/screens/settings/Profile";
import { TradingScreen } from "../src/screens/settings/Trading";
import { ExchangesScreen } from "../src/screens/settings/Exchanges";
import { TradingViewScreen } from "../src/screens/settings/TradingView";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, router } from "./support";

test("settings lists every section, the profile and tier, and signs out after a confirm", async () => {
  const backend = fakeBackend({ "GET /v1/settings/profile": { body: f.profile }, "POST /v1/auth/logout": { status: 204 } });
  const { services } = await renderScreen(<SettingsScreen />);
  expect(await screen.findByLabelText("Tier: Basic")).toBeTruthy();
  for (const title of ["Profile", "Trading", "Exchanges", "TradingView", "Notifications", "Security"]) {
    expect(screen.getByRole("button", { name: new RegExp(`^${title},`) })).toBeTruthy();
  }
  fireEvent.press(screen.getByRole("button", { name: /^Security,/ }));
  expect(router.push).toHaveBeenCalledWith("/settings/security");
  fireEvent.press(screen.getByRole("button", { name: "Sign out" }));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  await waitFor(() => expect(services.session.state.status).toBe("signedOut"));
  expect(backend.called("POST", "/v1/auth/logout")[0]!.body).toEqual({ refresh_token: "refresh-1" });
});

test("profile: edit and save name, time zone and locale; a refusal shows", async () => {
  let refuse = false;
  const backend = fakeBackend({
    "GET /v1/settings/profile": { body: f.profile },
    "PATCH /v1/settings/profile": (call) => (refuse ? problem(422, "invalid_timezone", "Unknown time zone") : { body: { ...f.profile, ...(call.body as object) } }),
  });
  await renderScreen(<ProfileScreen />);
  fireEvent.changeText(await screen.findByLabelText("Display name"), "Ada L.");
  fireEvent.changeText(screen.getByLabelText("Time zone"), "Europe/Paris");
  fireEvent.press(screen.getByRole("button", { name: "Save" }));
  expect(await screen.findByText("Saved.")).toBeTruthy();
  expect(backend.called("PATCH", "/v1/settings/profile")[0]!.body).toEqual({ display_name: "Ada L.", timezone: "Europe/Paris", locale: "en-US" });
  refuse = true;
  fireEvent.changeText(screen.getByLabelText("Time zone"), "Mars/Olympus");
  fireEvent.press(screen.getByRole("button", { name: "Save" }));
  expect(await screen.findByText("Unknown time zone")).toBeTruthy();
});

test("trading: risk, limits and pairs are saved to the bot and the risk settings", async () => {
  const backend = fakeBackend({
    "GET /v1/bot": { body: f.bot },
    "GET /v1/settings/trading": { body: f.trading },
    "PUT /v1/bot": { body: f.bot },
    "PATCH /v1/settings/trading": { body: f.trading },
  });
  await renderScreen(<TradingScreen />);
  fireEvent.press(await screen.findByLabelText("Risk level: Low"));
  fireEvent.changeText(screen.getByLabelText("Max position (USD)"), "300");
  fireEvent.changeText(screen.getByLabelText("Max daily loss (USD)"), "150");
  fireEvent.changeText(screen.getByLabelText("Allowed pairs"), "btc/usd, ETH/USD");
  fireEvent.press(screen.getByRole("button", { name: "Save limits" }));
  expect(await screen.findByText("Saved.")).toBeTruthy();
  expect(backend.called("PUT", "/v1/bot")[0]!.body).toEqual({ risk_level: "low", max_position_usd: "300" });
  expect(backend.called("PATCH", "/v1/settings/trading")[0]!.body).toEqual({
    risk_level: "low",
    max_position_usd: "300",
    max_daily_loss_usd: "150",
    allowed_pairs: ["BTC/USD", "ETH/USD"],
  });
});

test("trading: going live needs the second factor; the code is asked and the change retried", async () => {
  const backend = fakeBackend({
    "GET /v1/bot": { body: f.bot },
    "GET /v1/settings/trading": { body: f.trading },
    "PUT /v1/bot": (call) => (call.headers.get("authorization") === "Bearer stepped" ? { body: { ...f.bot, mode: "live" } } : problem(403, "step_up_required", "Confirm with your second factor")),
    "POST /v1/auth/step-up": (call) => ((call.body as { code: string }).code === "123456" ? { body: { access_token: "stepped", expires_in: 900, token_type: "bearer" } } : problem(403, "invalid_second_factor")),
  });
  await renderScreen(<TradingScreen />);
  fireEvent(await screen.findByLabelText("Live trading (off: paper)"), "valueChange", true);
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  expect(await screen.findByText("Confirm it's you")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Authenticator code"), "123456");
  fireEvent.press(screen.getByRole("button", { name: "Confirm" }));
  await waitFor(() => expect(backend.called("PUT", "/v1/bot")).toHaveLength(2));
  expect(backend.called("PUT", "/v1/bot")[1]!.body).toEqual({ mode: "live" });
});

test("trading: the kill switch halts after a confirm", async () => {
  const backend = fakeBackend({
    "GET /v1/bot": { body: f.bot },
    "GET /v1/settings/trading": { body: { ...f.trading, kill_switch: null } },
    "POST /v1/settings/trading/kill-switch": { body: { paused: true, user_id: "u-1" } },
  });
  await renderScreen(<TradingScreen />);
  fireEvent.press(await screen.findByRole("button", { name: "Halt trading now" }));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  await waitFor(() => expect(backend.called("POST", "/v1/settings/trading/kill-switch")).toHaveLength(1));
});

test("exchanges: list, verify, rotate, revoke (confirmed); nothing connected says so", async () => {
  const backend = fakeBackend({
    "GET /v1/credentials": { body: [f.credential, { ...f.credential, id: "old", status: "revoked" }] },
    "POST /v1/credentials/:id/verify": { status: 202, body: { request_id: "r", credential_id: "cred-1", verification: "pending" } },
    "PUT /v1/credentials/:id": { body: { ...f.credential, version: 2 } },
    "DELETE /v1/credentials/:id": { status: 204 },
  });
  await renderScreen(<ExchangesScreen />);
  expect(await screen.findByLabelText("Key: …abcd (v1)")).toBeTruthy();
  expect(screen.getAllByLabelText(/key ending abcd/)).toHaveLength(1);
  fireEvent.press(screen.getByLabelText("Verify the binance key"));
  await waitFor(() => expect(backend.called("POST", "/v1/credentials/cred-1/verify")).toHaveLength(1));
  fireEvent.press(screen.getByLabelText("Rotate the binance key"));
  fireEvent.changeText(screen.getByLabelText("New API key"), "binance-new-key-1");
  fireEvent.changeText(screen.getByLabelText("New API secret"), "new-secret-value");
  fireEvent.press(screen.getByRole("button", { name: "Rotate and verify" }));
  await waitFor(() => expect(backend.called("PUT", "/v1/credentials/cred-1")).toHaveLength(1));
  expect(backend.called("PUT", "/v1/credentials/cred-1")[0]!.body).toEqual({ api_key: "binance-new-key-1", api_secret: "new-secret-value" });
  await waitFor(() => expect(backend.called("POST", "/v1/credentials/cred-1/verify")).toHaveLength(2));
  fireEvent.press(screen.getByLabelText("Revoke the binance key"));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  await waitFor(() => expect(backend.called("DELETE", "/v1/credentials/cred-1")).toHaveLength(1));
});

test("exchanges: none connected, and an error", async () => {
  fakeBackend({ "GET /v1/credentials": { body: [] } });
  const first = await renderScreen(<ExchangesScreen />);
  expect(await screen.findByText("No exchange connected yet.")).toBeTruthy();
  first.unmount();
  fakeBackend({ "GET /v1/credentials": problem(500, "internal", "Boom") });
  await renderScreen(<ExchangesScreen />);
  expect(await screen.findByText(/Could not load your exchanges: Boom/)).toBeTruthy();
});

test("TradingView: a new hook's URL and secret are shown once, with copy", async () => {
  const created = { id: "h-1", url: "https://nija.test/v1/webhooks/tradingview/h-1", secret: "tv-secret-xyz", alert_message: '{"secret": "tv-secret-xyz"}', venue: "binance", label: "mine", created_at: "2026-01-01T00:00:00Z", last_alert_at: null };
  const backend = fakeBackend({
    "GET /v1/webhooks/tradingview": { body: [] },
    "POST /v1/webhooks/tradingview": { status: 201, body: created },
    "DELETE /v1/webhooks/tradingview/:id": { status: 204 },
  });
  await renderScreen(<TradingViewScreen />);
  expect(await screen.findByText("No hooks yet.")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Label"), "mine");
  fireEvent.press(screen.getByRole("button", { name: "Create hook" }));
  expect(await screen.findByLabelText("Secret: tv-secret-xyz")).toBeTruthy();
  expect(backend.called("POST", "/v1/webhooks/tradingview")[0]!.body).toEqual({ venue: "binance", label: "mine" });
  fireEvent.press(screen.getByRole("button", { name: "Copy secret" }));
  await waitFor(() => expect(Clipboard.setStringAsync).toHaveBeenCalledWith("tv-secret-xyz"));
  fireEvent.press(screen.getByRole("button", { name: "Done" }));
  expect(screen.queryByText("tv-secret-xyz")).toBeNull();
});

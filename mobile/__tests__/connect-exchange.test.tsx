import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import * as ScreenCapture from "expo-screen-capture";
import { ConnectExchange } from "../src/screens/ConnectExchange";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen } from "./support";

async function toKeys() {
  fireEvent.press(await screen.findByText("I have my key"));
  fireEvent.changeText(screen.getByLabelText("API key"), "binance-key-123456");
  fireEvent.changeText(screen.getByLabelText("API secret"), "s3cret-s3cret");
}

test("three steps: instructions, masked keys and Verify, the venue's answer and Start trading", async () => {
  let checks = 0;
  const backend = fakeBackend({
    "POST /v1/credentials": { status: 201, body: { ...f.credential, verification: "unverified" } },
    "POST /v1/credentials/:id/verify": { status: 202, body: { request_id: "r-1", credential_id: "cred-1", verification: "pending" } },
    "GET /v1/credentials/:id": () => (++checks < 2 ? { body: { ...f.credential, verification: "pending" } } : { body: f.credential }),
    "GET /v1/venues": { body: f.venues },
    "PATCH /v1/settings/trading": { body: f.trading },
    "PUT /v1/bot": { body: f.bot },
    "POST /v1/bot/start": { body: f.bot },
  });
  const done = jest.fn();
  await renderScreen(<ConnectExchange onDone={done} />);
  expect(ScreenCapture.preventScreenCaptureAsync).toHaveBeenCalled();
  expect(screen.getByText(/Never allow withdrawals/)).toBeTruthy();
  expect(screen.getByText(/IP whitelist/)).toBeTruthy();
  await toKeys();
  expect(screen.getByLabelText("API secret").props.secureTextEntry).toBe(true);
  fireEvent.press(screen.getByLabelText("Show API secret"));
  expect(screen.getByLabelText("API secret").props.secureTextEntry).toBe(false);
  fireEvent.press(screen.getByRole("button", { name: "Verify" }));
  expect(await screen.findByText("Binance is connected", {}, { timeout: 4000 })).toBeTruthy();
  expect(backend.called("POST", "/v1/credentials")[0]!.body).toEqual({ venue: "binance", environment: "simulated", api_key: "binance-key-123456", api_secret: "s3cret-s3cret", passphrase: null });
  expect(screen.getByLabelText("Markets: 12")).toBeTruthy();
  expect(screen.getByLabelText("USD: 10000")).toBeTruthy();
  expect(screen.queryByLabelText("BTC: 0")).toBeNull();
  fireEvent.changeText(screen.getByLabelText("Max position (USD)"), "250");
  fireEvent.press(screen.getByLabelText("Allowed pairs: Custom"));
  fireEvent.press(screen.getByLabelText("ETH/USD not allowed"));
  fireEvent.press(screen.getByRole("button", { name: "Start trading" }));
  await waitFor(() => expect(done).toHaveBeenCalled());
  expect(backend.called("PATCH", "/v1/settings/trading")[0]!.body).toEqual({ max_position_usd: "250", allowed_pairs: ["ETH/USD"] });
  expect(backend.called("PUT", "/v1/bot")[0]!.body).toEqual({ venue: "binance", max_position_usd: "250", pairs: ["ETH/USD"] });
  expect(backend.called("POST", "/v1/bot/start")).toHaveLength(1);
});

test("a refused key says why and offers another try", async () => {
  fakeBackend({
    "POST /v1/credentials": { status: 201, body: f.credential },
    "POST /v1/credentials/:id/verify": { status: 202, body: { request_id: "r", credential_id: "cred-1" } },
    "GET /v1/credentials/:id": { body: { ...f.credential, verification: "refused", refusal_reason: "invalid_api_key" } },
    "GET /v1/venues": { body: f.venues },
  });
  await renderScreen(<ConnectExchange onDone={jest.fn()} />);
  await toKeys();
  fireEvent.press(screen.getByRole("button", { name: "Verify" }));
  expect(await screen.findByText(/Binance refused the key: invalid_api_key/)).toBeTruthy();
  fireEvent.press(screen.getByText("Try another key"));
  expect(screen.getByLabelText("API key")).toBeTruthy();
});

test("a key that may withdraw cannot start trading", async () => {
  fakeBackend({
    "POST /v1/credentials": { status: 201, body: f.credential },
    "POST /v1/credentials/:id/verify": { status: 202, body: { request_id: "r", credential_id: "cred-1" } },
    "GET /v1/credentials/:id": { body: { ...f.credential, permissions: ["read", "trade", "withdraw"] } },
    "GET /v1/venues": { body: f.venues },
  });
  await renderScreen(<ConnectExchange onDone={jest.fn()} />);
  await toKeys();
  fireEvent.press(screen.getByRole("button", { name: "Verify" }));
  expect(await screen.findByText(/may withdraw funds/)).toBeTruthy();
  expect(screen.getByRole("button", { name: "Start trading" })).toBeDisabled();
});

test("a refused store (step-up or bad key) shows the problem and keeps the form", async () => {
  fakeBackend({ "POST /v1/credentials": problem(422, "invalid_credential", "api_key is too short") });
  await renderScreen(<ConnectExchange onDone={jest.fn()} />);
  await toKeys();
  fireEvent.press(screen.getByRole("button", { name: "Verify" }));
  expect(await screen.findByText("api_key is too short")).toBeTruthy();
  expect(screen.getByLabelText("API key").props.value).toBe("binance-key-123456");
});

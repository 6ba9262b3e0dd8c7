import * as Notifications from "expo-notifications";
import { deepLinkPath, registerForPush } from "../src/push/register";
import { fakeBackend, testServices, TOKENS } from "./support";

test("a tapped notification's deep link opens the right screen", () => {
  expect(deepLinkPath({ type: "trade_executed", url: "nija://position/p-1", position_id: "p-1" })).toBe("/position/p-1");
  expect(deepLinkPath({ url: "nija://positions/p-2" })).toBe("/position/p-2");
  expect(deepLinkPath({ type: "position_closed", url: "nija://activity" })).toBe("/activity");
  expect(deepLinkPath({ type: "daily_summary", url: "nija://dashboard" })).toBe("/");
  expect(deepLinkPath({ type: "bot_status", url: "nija://settings" })).toBe("/settings");
  expect(deepLinkPath({ url: "nija://settings/security" })).toBe("/settings/security");
  expect(deepLinkPath({ url: "https://evil.example/x" })).toBeNull();
  expect(deepLinkPath(null)).toBeNull();
});

test("after sign-in the Expo push token is registered with this install's id", async () => {
  const backend = fakeBackend({ "POST /v1/push/devices": { status: 201, body: { id: "pd-1" } } });
  const services = testServices();
  await services.session.accept(TOKENS);
  expect(await registerForPush(services)).toBe("registered");
  const body = backend.called("POST", "/v1/push/devices")[0]!.body as Record<string, string>;
  expect(body.expo_push_token).toBe("ExponentPushToken[test-token]");
  expect(body.platform).toBe("ios");
  expect(body.device_id).toMatch(/^[0-9a-f]{32}$/);
  expect(await registerForPush(services)).toBe("registered");
  expect((backend.called("POST", "/v1/push/devices")[1]!.body as Record<string, string>).device_id).toBe(body.device_id);
});

test("permission refused: nothing is sent", async () => {
  (Notifications.getPermissionsAsync as jest.Mock).mockResolvedValueOnce({ status: "undetermined" });
  (Notifications.requestPermissionsAsync as jest.Mock).mockResolvedValueOnce({ status: "denied" });
  const backend = fakeBackend({});
  const services = testServices();
  await services.session.accept(TOKENS);
  expect(await registerForPush(services)).toBe("denied");
  expect(backend.calls).toHaveLength(0);
});

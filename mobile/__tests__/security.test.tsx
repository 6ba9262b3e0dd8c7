import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import * as ScreenCapture from "expo-screen-capture";
import { SecurityScreen } from "../src/screens/settings/Security";
import * as f from "./fixtures";
import { fakeBackend, problem, renderScreen, secureItems } from "./support";

const session = { id: "s-1", method: "password", created_at: "2026-01-01T00:00:00Z", last_used_at: "2026-01-02T00:00:00Z", expires_at: "2026-02-01T00:00:00Z", user_agent: "Chrome", ip: "10.0.0.1" };
const base = {
  "GET /v1/settings/profile": { body: f.profile },
  "GET /v1/auth/devices": { body: [] },
  "GET /v1/auth/sessions": { body: [session] },
};

test("blocks screenshots and shows every section", async () => {
  fakeBackend(base);
  await renderScreen(<SecurityScreen />);
  expect(ScreenCapture.preventScreenCaptureAsync).toHaveBeenCalledWith("security");
  for (const heading of ["Biometric login", "Two-factor authentication", "Password", "Sign out when idle", "Sessions"]) {
    expect(await screen.findByText(heading)).toBeTruthy();
  }
});

test("2FA enrolment: the QR, the first code, the recovery codes", async () => {
  const backend = fakeBackend({
    ...base,
    "POST /v1/auth/2fa/totp": { body: { secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/NIJA", qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>' } },
    "POST /v1/auth/2fa/totp/confirm": (call) => ((call.body as { code: string }).code === "123456" ? { body: { recovery_codes: ["aaaa-bbbb", "cccc-dddd"] } } : problem(403, "invalid_second_factor", "The code is not correct")),
  });
  await renderScreen(<SecurityScreen />);
  fireEvent.press(await screen.findByRole("button", { name: "Set up two-factor" }));
  expect(await screen.findByLabelText("QR code for your authenticator app")).toBeTruthy();
  expect(screen.getByText(/JBSWY3DPEHPK3PXP/)).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Code from the app"), "000000");
  fireEvent.press(screen.getByRole("button", { name: "Turn on" }));
  expect(await screen.findByText("The code is not correct")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Code from the app"), "123456");
  fireEvent.press(screen.getByRole("button", { name: "Turn on" }));
  expect(await screen.findByTestId("recovery-codes")).toHaveTextContent("aaaa-bbbb\ncccc-dddd");
  expect(backend.called("POST", "/v1/auth/2fa/totp/confirm")[1]!.body).toEqual({ code: "123456" });
});

test("changing the password ends the session here too", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/auth/password": { status: 204 }, "POST /v1/auth/logout": { status: 204 } });
  const { services } = await renderScreen(<SecurityScreen />);
  fireEvent.changeText(await screen.findByLabelText("Current password"), "old password 123");
  fireEvent.changeText(screen.getByLabelText("New password"), "a brand new password");
  fireEvent.press(screen.getByRole("button", { name: "Change password" }));
  await waitFor(() => expect(services.session.state.status).toBe("signedOut"));
  expect(backend.called("POST", "/v1/auth/password")[0]!.body).toEqual({ current_password: "old password 123", new_password: "a brand new password" });
});

test("a wrong current password is refused with the reason", async () => {
  fakeBackend({ ...base, "POST /v1/auth/password": problem(403, "invalid_password", "The current password is wrong") });
  await renderScreen(<SecurityScreen />);
  fireEvent.changeText(await screen.findByLabelText("Current password"), "nope");
  fireEvent.changeText(screen.getByLabelText("New password"), "a brand new password");
  fireEvent.press(screen.getByRole("button", { name: "Change password" }));
  expect(await screen.findByText("The current password is wrong")).toBeTruthy();
});

test("sessions: sign one out, or every one after a confirm", async () => {
  const backend = fakeBackend({ ...base, "DELETE /v1/auth/sessions/:id": { status: 204 }, "DELETE /v1/auth/sessions": { status: 204 }, "POST /v1/auth/logout": { status: 204 } });
  const { services } = await renderScreen(<SecurityScreen />);
  fireEvent.press(await screen.findByLabelText("Sign out the session from 10.0.0.1"));
  await waitFor(() => expect(backend.called("DELETE", "/v1/auth/sessions/s-1")).toHaveLength(1));
  fireEvent.press(screen.getByRole("button", { name: "Sign out everywhere" }));
  fireEvent.press(await screen.findByTestId("confirm-yes"));
  await waitFor(() => expect(services.session.state.status).toBe("signedOut"));
  expect(backend.called("DELETE", "/v1/auth/sessions")).toHaveLength(1);
});

test("the idle timeout is chosen here and kept", async () => {
  fakeBackend(base);
  const { services } = await renderScreen(<SecurityScreen />);
  fireEvent.press(await screen.findByLabelText("Session timeout: 15 min"));
  await waitFor(() => expect(services.session.idleMinutes).toBe(15));
  expect(JSON.parse(secureItems.get("nija.prefs")!)).toMatchObject({ idleMinutes: 15 });
});

test("biometric login: the switch registers this phone's key", async () => {
  const backend = fakeBackend({ ...base, "POST /v1/auth/devices": { status: 201, body: { id: "dev-1", name: "iPhone", created_at: "2026-01-01T00:00:00Z", last_used_at: null } } });
  await renderScreen(<SecurityScreen />);
  const toggle = await screen.findByLabelText("Sign in with biometrics");
  await waitFor(() => expect(toggle).toBeEnabled());
  fireEvent(toggle, "valueChange", true);
  await waitFor(() => expect(backend.called("POST", "/v1/auth/devices")).toHaveLength(1));
  expect((backend.called("POST", "/v1/auth/devices")[0]!.body as { name: string }).name).toBe("iPhone");
  await waitFor(() => expect(secureItems.has("nija.device-key")).toBe(true));
});

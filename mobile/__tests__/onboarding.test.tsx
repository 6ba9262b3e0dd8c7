import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import * as LocalAuthentication from "expo-local-authentication";
import { OnboardingBiometricsScreen, OnboardingDoneScreen } from "../src/screens/Onboarding";
import * as f from "./fixtures";
import { fakeBackend, renderScreen, router, secureItems, testServices, TOKENS } from "./support";

test("enable biometrics registers the key and moves on", async () => {
  const backend = fakeBackend({
    "GET /v1/settings/profile": { body: f.profile },
    "POST /v1/auth/devices": { status: 201, body: { id: "dev-1", name: "iPhone", created_at: "2026-01-01T00:00:00Z", last_used_at: null } },
  });
  await renderScreen(<OnboardingBiometricsScreen />);
  fireEvent.press(await screen.findByRole("button", { name: "Enable biometrics" }));
  await waitFor(() => expect(router.replace).toHaveBeenCalledWith("/onboarding/done"));
  expect(backend.called("POST", "/v1/auth/devices")).toHaveLength(1);
  expect(JSON.parse(secureItems.get("nija.device")!).deviceId).toBe("dev-1");
});

test("without biometrics on the phone it says so and only offers to continue", async () => {
  (LocalAuthentication.hasHardwareAsync as jest.Mock).mockResolvedValueOnce(false);
  fakeBackend({ "GET /v1/settings/profile": { body: f.profile } });
  await renderScreen(<OnboardingBiometricsScreen />);
  expect(await screen.findByText(/Set up Face ID or a fingerprint/)).toBeTruthy();
  expect(screen.queryByRole("button", { name: "Enable biometrics" })).toBeNull();
  fireEvent.press(screen.getByRole("button", { name: "Continue" }));
  expect(router.replace).toHaveBeenCalledWith("/onboarding/done");
});

test("done ends onboarding", async () => {
  fakeBackend({});
  const services = testServices();
  await services.session.accept(TOKENS, { onboarding: true });
  await renderScreen(<OnboardingDoneScreen />, { services });
  fireEvent.press(screen.getByRole("button", { name: "Go to my dashboard" }));
  expect(services.session.state).toEqual({ status: "signedIn", onboarding: false });
});

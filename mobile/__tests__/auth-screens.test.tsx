import { fireEvent, screen, waitFor } from "@testing-library/react-native";
import { SignInScreen } from "../src/screens/SignIn";
import { SignUpScreen } from "../src/screens/SignUp";
import { WelcomeScreen } from "../src/screens/Welcome";
import { fakeBackend, problem, renderScreen, router, TOKENS } from "./support";

const PASSWORD = "correct horse battery staple";

test("welcome leads to sign-up and sign-in", async () => {
  fakeBackend({});
  await renderScreen(<WelcomeScreen />, { signedIn: false });
  fireEvent.press(screen.getByText("Create an account"));
  expect(router.push).toHaveBeenCalledWith("/sign-up");
  fireEvent.press(screen.getByText("Sign in"));
  expect(router.push).toHaveBeenCalledWith("/sign-in");
});

test("sign-up registers, signs in and starts onboarding", async () => {
  const backend = fakeBackend({
    "POST /v1/auth/register": { status: 201, body: { id: "u-1", email: "ada@example.com", role: "trader", tier: "basic", created_at: "2026-01-01T00:00:00Z" } },
    "POST /v1/auth/login": { body: TOKENS },
  });
  const { services } = await renderScreen(<SignUpScreen />, { signedIn: false });
  fireEvent.changeText(screen.getByLabelText("Email"), "ada@example.com");
  fireEvent.changeText(screen.getByLabelText("Password"), PASSWORD);
  fireEvent.changeText(screen.getByLabelText("Repeat password"), PASSWORD + "x");
  expect(screen.getByText("The passwords differ.")).toBeTruthy();
  expect(screen.getByRole("button", { name: "Create account" })).toBeDisabled();
  fireEvent.changeText(screen.getByLabelText("Repeat password"), PASSWORD);
  fireEvent.press(screen.getByRole("button", { name: "Create account" }));
  await waitFor(() => expect(services.session.state).toEqual({ status: "signedIn", onboarding: true }));
  expect(backend.called("POST", "/v1/auth/register")[0]!.body).toEqual({ email: "ada@example.com", password: PASSWORD });
});

test("a refused sign-up says why", async () => {
  fakeBackend({ "POST /v1/auth/register": problem(422, "common_password", "This password is too common") });
  await renderScreen(<SignUpScreen />, { signedIn: false });
  fireEvent.changeText(screen.getByLabelText("Email"), "ada@example.com");
  fireEvent.changeText(screen.getByLabelText("Password"), "password1234");
  fireEvent.changeText(screen.getByLabelText("Repeat password"), "password1234");
  fireEvent.press(screen.getByRole("button", { name: "Create account" }));
  expect(await screen.findByText("This password is too common")).toBeTruthy();
});

test("sign-in with the second factor when enrolled", async () => {
  const backend = fakeBackend({
    "POST /v1/auth/login": { status: 401, body: { ...problem(401, "second_factor_required").body, challenge_id: "ch-1" } },
    "POST /v1/auth/login/second-factor": (call) => ((call.body as { code: string }).code === "123456" ? { body: TOKENS } : problem(401, "invalid_second_factor", "The code is not correct")),
  });
  const { services } = await renderScreen(<SignInScreen />, { signedIn: false });
  fireEvent.changeText(screen.getByLabelText("Email"), "ada@example.com");
  fireEvent.changeText(screen.getByLabelText("Password"), PASSWORD);
  fireEvent.press(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByText("Second factor")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Code"), "654321");
  fireEvent.press(screen.getByRole("button", { name: "Continue" }));
  expect(await screen.findByText("The code is not correct")).toBeTruthy();
  fireEvent.changeText(screen.getByLabelText("Code"), "123456");
  fireEvent.press(screen.getByRole("button", { name: "Continue" }));
  await waitFor(() => expect(services.session.state.status).toBe("signedIn"));
  expect(backend.called("POST", "/v1/auth/login/second-factor")[1]!.body).toEqual({ challenge_id: "ch-1", code: "123456" });
});

test("a wrong password is refused with the server's words, and offline says so", async () => {
  let offline = false;
  fakeBackend({ "POST /v1/auth/login": problem(401, "invalid_credentials", "Wrong email or password") });
  const original = globalThis.fetch;
  globalThis.fetch = jest.fn(async (request: Request) => {
    if (offline) throw new TypeError("Network request failed");
    return original(request);
  }) as unknown as typeof fetch;
  await renderScreen(<SignInScreen />, { signedIn: false });
  fireEvent.changeText(screen.getByLabelText("Email"), "ada@example.com");
  fireEvent.changeText(screen.getByLabelText("Password"), "nope");
  fireEvent.press(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByText("Wrong email or password")).toBeTruthy();
  offline = true;
  fireEvent.press(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByText(/Can't reach NIJA/)).toBeTruthy();
});

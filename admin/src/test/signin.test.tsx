import { describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../App";
import { createApi } from "../api/client";
import { Session } from "../api/session";
import { fakeFetch, problem, renderAt, token } from "./fake";

const PAIR = (sf: boolean, role = "admin") => ({
  body: { access_token: token({ sf, role }), refresh_token: "r1", expires_in: 900 },
});
const QR = '<?xml version="1.0"?><svg viewBox="0 0 21 21" xmlns="http://www.w3.org/2000/svg"><path d="M4,4H5V5H4z"/><script>alert(1)</script></svg>';

async function fillPassword() {
  await userEvent.type(await screen.findByLabelText("Email"), "root@example.com");
  await userEvent.type(screen.getByLabelText("Password"), "correct horse");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
}

describe("Sign in", () => {
  it("asks for the second factor, then opens the console", async () => {
    const { calls, api } = renderAt("/", {
      "POST /v1/auth/login": problem(401, "second_factor_required", "Enter the code", { challenge_id: "ch-1" }),
      "POST /v1/auth/login/second-factor": PAIR(true),
      "GET /v1/admin/users": { body: { items: [], total: 0, limit: 1, offset: 0 } },
      "GET /v1/admin/venues": { body: [] },
      "GET /v1/admin/routing": { body: { decisions: [], venues: [], global_kill_switch: false } },
    }, { signedIn: false });
    await fillPassword();
    await userEvent.type(await screen.findByLabelText("Code"), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByRole("heading", { name: "Overview" })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/v1/auth/login/second-factor")?.body).toEqual({ challenge_id: "ch-1", code: "123456" });
    expect(api.session.refresh).toBe("r1");
    expect(localStorage.length + sessionStorage.length).toBe(0);
    expect(document.cookie).toBe("");
  });

  it("shows the API's detail when the password is refused", async () => {
    renderAt("/", { "POST /v1/auth/login": problem(401, "invalid_credentials", "Wrong email or password") }, { signedIn: false });
    await fillPassword();
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password");
  });

  it("turns a trader away and ends their session", async () => {
    const { calls } = renderAt("/", {
      "POST /v1/auth/login": PAIR(false, "trader"),
      "POST /v1/auth/logout": { status: 204 },
    }, { signedIn: false });
    await fillPassword();
    expect(await screen.findByRole("status")).toHaveTextContent("This panel is for admins");
    expect(calls.find((c) => c.path === "/v1/auth/logout")?.body).toEqual({ refresh_token: "r1" });
  });

  it("sends an admin without a second factor to enrol, then steps up into the console", async () => {
    const { calls } = renderAt("/", {
      "POST /v1/auth/login": PAIR(false),
      "POST /v1/auth/2fa/totp": { body: { secret: "JBSWY3DPEHPK3PXP", otpauth_uri: "otpauth://totp/NIJA:root%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=NIJA", qr_svg: QR } },
      "POST /v1/auth/2fa/totp/confirm": (_r: Request, body: unknown) =>
        (body as { code: string }).code === "111111" ? { body: { recovery_codes: ["abcde-fghjk", "mnpqr-stuvw"] } } : problem(422, "invalid_code", "The code is not correct; check the clock"),
      "POST /v1/auth/step-up": { body: { access_token: token({ sf: true }), expires_in: 900 } },
      "GET /v1/admin/users": { body: { items: [], total: 0, limit: 1, offset: 0 } },
      "GET /v1/admin/venues": { body: [] },
      "GET /v1/admin/routing": { body: { decisions: [], venues: [], global_kill_switch: false } },
    }, { signedIn: false });
    await fillPassword();
    await userEvent.click(await screen.findByRole("button", { name: "Set up an authenticator app" }));
    expect(await screen.findByTestId("otpauth-uri")).toHaveTextContent("otpauth://totp/NIJA:root%40example.com");
    const qr = screen.getByRole("img", { name: /QR code/ });
    expect(qr.querySelector("path")?.getAttribute("d")).toBe("M4,4H5V5H4z");
    expect(qr.querySelector("script")).toBeNull();
    await userEvent.type(screen.getByLabelText("Code"), "999999");
    await userEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The code is not correct");
    await userEvent.clear(screen.getByLabelText("Code"));
    await userEvent.type(screen.getByLabelText("Code"), "111111");
    await userEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect(await screen.findByText("abcde-fghjk")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Next code"), "222222");
    await userEvent.click(screen.getByRole("button", { name: "Open the console" }));
    expect(await screen.findByRole("heading", { name: "Overview" })).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/v1/auth/step-up")?.body).toEqual({ code: "222222" });
  });
});

describe("The session", () => {
  it("renews an expired access token once with the refresh token and retries", async () => {
    let renewed = false;
    const fake = fakeFetch({
      "GET /v1/admin/venues": (request) =>
        request.headers.get("authorization") === `Bearer ${token({ n: 2 })}`
          ? { body: [] }
          : problem(401, "token_expired", "The access token has expired"),
      "POST /v1/auth/refresh": (_r, body) => {
        renewed = (body as { refresh_token: string }).refresh_token === "refresh-1";
        return { body: { access_token: token({ n: 2 }), refresh_token: "refresh-2", expires_in: 900 } };
      },
    });
    const session = new Session();
    session.start(token(), "refresh-1");
    const api = createApi(session, fake.fetch, "http://panel.test");
    const answer = await api.client.GET("/v1/admin/venues");
    expect(answer.data).toEqual([]);
    expect(renewed).toBe(true);
    expect(session.refresh).toBe("refresh-2");
  });

  it("ends the session when the refresh token is refused", async () => {
    const fake = fakeFetch({
      "GET /v1/admin/venues": problem(401, "token_expired", "expired"),
      "POST /v1/auth/refresh": problem(401, "invalid_refresh_token", "The refresh token is not valid"),
    });
    const session = new Session();
    session.start(token(), "refresh-1");
    const api = createApi(session, fake.fetch, "http://panel.test");
    await api.client.GET("/v1/admin/venues");
    expect(session.signedIn).toBe(false);
    expect(session.lastReason).toBe("expired");
  });

  it("signs out after 15 minutes without activity, and activity postpones it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    try {
      history.replaceState(null, "", "/admin/venues");
      const fake = fakeFetch({ "GET /v1/admin/venues": { body: [] }, "POST /v1/auth/logout": { status: 204 } });
      const session = new Session();
      session.start(token(), "refresh-1");
      render(<App api={createApi(session, fake.fetch, "http://panel.test")} />);
      await act(async () => vi.advanceTimersByTime(14 * 60 * 1000));
      act(() => void document.dispatchEvent(new KeyboardEvent("keydown", { key: "a" })));
      await act(async () => vi.advanceTimersByTime(14 * 60 * 1000));
      expect(session.signedIn).toBe(true);
      await act(async () => vi.advanceTimersByTime(60 * 1000 + 10));
      expect(session.signedIn).toBe(false);
      expect(screen.getByRole("status")).toHaveTextContent("signed out after 15 minutes without activity");
      expect(fake.calls.some((c) => c.path === "/v1/auth/logout")).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import {
  ADA,
  CREDENTIAL,
  SESSIONS,
  adaDetail,
  problem,
  renderAt,
  token,
  userRoutes,
  type Routes,
} from "./fake";

const STEPPED = token({ n: 1 });

const page = (items: unknown[], total = items.length, offset = 0) => ({
  body: { items, total, limit: 25, offset },
});

describe("Users", () => {
  it("lists the server's page and pages on the server", async () => {
    const { calls } = renderAt("/users", {
      "GET /v1/admin/users": (request) => {
        const offset = Number(new URL(request.url).searchParams.get("offset") ?? 0);
        return page([{ ...ADA, email: `user${offset}@example.com` }], 60, offset);
      },
    });
    expect(await screen.findByRole("link", { name: "user0@example.com" })).toBeInTheDocument();
    expect(screen.getByText("1–1 of 60")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByRole("link", { name: "user25@example.com" })).toBeInTheDocument();
    expect(calls.map((c) => c.search.get("offset"))).toEqual(["0", "25"]);
    expect(calls.every((c) => c.search.get("limit") === "25")).toBe(true);
  });

  it("sends the search and the status filter to the server", async () => {
    const { calls } = renderAt("/users", { "GET /v1/admin/users": page([ADA]) });
    await screen.findByRole("link", { name: ADA.email });
    await userEvent.type(screen.getByLabelText("Email or name contains"), "ada");
    await userEvent.selectOptions(screen.getByLabelText("Status"), "suspended");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByRole("link", { name: ADA.email });
    const last = calls[calls.length - 1];
    expect(last?.search.get("q")).toBe("ada");
    expect(last?.search.get("status")).toBe("suspended");
    expect(location.search).toContain("q=ada");
  });

  it("filters by tier on the server, from the form and from a deep link", async () => {
    const { calls } = renderAt("/users?tier=pro", { "GET /v1/admin/users": page([{ ...ADA, tier: "pro" }]) });
    await screen.findByRole("link", { name: ADA.email });
    expect(calls[0]?.search.get("tier")).toBe("pro");
    expect(screen.getByLabelText("Tier")).toHaveValue("pro");
    await userEvent.selectOptions(screen.getByLabelText("Tier"), "enterprise");
    await userEvent.selectOptions(screen.getByLabelText("Status"), "active");
    await userEvent.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByRole("link", { name: ADA.email });
    const last = calls[calls.length - 1];
    expect(last?.search.get("tier")).toBe("enterprise");
    expect(last?.search.get("status")).toBe("active");
    expect(location.search).toContain("tier=enterprise");
  });

  it("says when nothing matches", async () => {
    renderAt("/users", { "GET /v1/admin/users": page([]) });
    expect(await screen.findByText("No user matches.")).toBeInTheDocument();
  });

  it("shows the API's detail when the list cannot load, and retries", async () => {
    let fail = true;
    renderAt("/users", {
      "GET /v1/admin/users": () =>
        fail ? problem(503, "unavailable", "The database is down") : page([ADA]),
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("The database is down");
    fail = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("link", { name: ADA.email })).toBeInTheDocument();
  });
});

describe("A user's page", () => {
  const routes = (over: Routes = {}): Routes => ({ ...userRoutes(), ...over });
  const base = `/v1/admin/users/${ADA.id}`;

  it("shows the profile, sessions and the audit trail", async () => {
    renderAt(`/users/${ADA.id}`, routes());
    expect(await screen.findByRole("heading", { name: ADA.email })).toBeInTheDocument();
    expect(screen.getByText("Active sessions").nextSibling).toHaveTextContent("2");
    expect(await screen.findByText("user_suspended")).toBeInTheDocument();
  });

  it("says when the user has no audit trail", async () => {
    renderAt(`/users/${ADA.id}`, routes({ "GET /v1/admin/audit": { body: { items: [], next_before: null } } }));
    expect(await screen.findByText("Nothing audited for this user yet.")).toBeInTheDocument();
  });

  it("says the user is not found", async () => {
    renderAt(`/users/${ADA.id}`, routes({ [`GET /v1/admin/users/${ADA.id}`]: problem(404, "user_not_found", "No such user") }));
    expect(await screen.findByText(/Could not load this user: No such user/)).toBeInTheDocument();
  });

  it("suspends after confirmation and a step-up when the API asks for one", async () => {
    let proved = false;
    const { calls } = renderAt(
      `/users/${ADA.id}`,
      routes({
        [`POST /v1/admin/users/${ADA.id}/suspend`]: () =>
          proved
            ? { body: adaDetail({ status: "suspended", suspended_reason: "fraud review" }) }
            : problem(403, "step_up_required", "Confirm this action with your second factor"),
        "POST /v1/auth/step-up": (_request: Request, body: unknown) => {
          proved = (body as { code: string }).code === "123456";
          return proved ? { body: { access_token: STEPPED, expires_in: 900 } } : problem(403, "invalid_second_factor", "The second-factor proof failed");
        },
      }),
    );
    await screen.findByRole("heading", { name: ADA.email });
    await userEvent.type(screen.getByLabelText(/Reason/), "fraud review");
    await userEvent.click(screen.getByRole("button", { name: "Suspend…" }));
    const confirm = await screen.findByRole("dialog", { name: `Suspend ${ADA.email}?` });
    expect(confirm).toHaveTextContent("fraud review");
    await userEvent.click(within(confirm).getByRole("button", { name: "Suspend" }));
    const stepUp = await screen.findByRole("dialog", { name: "Confirm it is you" });
    await userEvent.type(within(stepUp).getByLabelText("Authenticator code"), "000000");
    await userEvent.click(within(stepUp).getByRole("button", { name: "Confirm and continue" }));
    expect(await within(stepUp).findByRole("alert")).toHaveTextContent("The second-factor proof failed");
    await userEvent.clear(within(stepUp).getByLabelText("Authenticator code"));
    await userEvent.type(within(stepUp).getByLabelText("Authenticator code"), "123456");
    await userEvent.click(within(stepUp).getByRole("button", { name: "Confirm and continue" }));
    expect(await screen.findByText(`${ADA.email} is suspended.`)).toBeInTheDocument();
    const suspends = calls.filter((c) => c.path.endsWith("/suspend"));
    expect(suspends).toHaveLength(2);
    expect(suspends[1]?.body).toEqual({ reason: "fraud review" });
    expect(suspends[1]?.authorization).toBe(`Bearer ${STEPPED}`);
  });

  it("shows the API's detail when an action is refused, and nothing changes", async () => {
    renderAt(
      `/users/${ADA.id}`,
      routes({
        [`PUT /v1/admin/users/${ADA.id}/tier`]: problem(422, "tier_unchanged", "The user is already on that tier"),
      }),
    );
    await screen.findByRole("heading", { name: ADA.email });
    await userEvent.selectOptions(screen.getByLabelText("New tier"), "pro");
    await userEvent.click(screen.getByRole("button", { name: "Change tier…" }));
    await userEvent.click(await screen.findByRole("button", { name: "Change tier" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Refused: The user is already on that tier");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("cancelling the confirmation calls nothing", async () => {
    const { calls } = renderAt(`/users/${ADA.id}`, routes());
    await screen.findByRole("heading", { name: ADA.email });
    await userEvent.click(screen.getByRole("button", { name: "Engage kill switch…" }));
    await screen.findByRole("dialog");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("engages the user's kill switch with a reason", async () => {
    const { calls } = renderAt(
      `/users/${ADA.id}`,
      routes({ "POST /v1/admin/kill-switch": { body: { active: true, scope: "user", set_by: "admin", user_id: ADA.id } } }),
    );
    await screen.findByRole("heading", { name: ADA.email });
    await userEvent.type(screen.getByLabelText("Kill switch reason"), "runaway bot");
    await userEvent.click(screen.getByRole("button", { name: "Engage kill switch…" }));
    await userEvent.click(await screen.findByRole("button", { name: "Engage kill switch" }));
    expect(await screen.findByText(`${ADA.email}'s trading is halted.`)).toBeInTheDocument();
    expect(calls.find((c) => c.path === "/v1/admin/kill-switch")?.body).toEqual({
      scope: "user",
      user_id: ADA.id,
      active: true,
      reason: "runaway bot",
      close_all_positions: false,
    });
  });
  it("shows the support picture: bot, orders, positions, credential metadata, sessions and devices", async () => {
    renderAt(`/users/${ADA.id}`, routes());
    const bot = await screen.findByRole("region", { name: "Bot" });
    expect(await within(bot).findByText("paused")).toBeInTheDocument();
    expect(bot).toHaveTextContent("Paused by the kill switch");
    const orders = screen.getByRole("region", { name: "Latest orders" });
    expect(await within(orders).findByRole("rowheader", { name: /buy 0.01 BTC\/USD market/ })).toBeInTheDocument();
    expect(orders).toHaveTextContent("50,001.5");
    const positions = screen.getByRole("region", { name: "Positions" });
    expect(await within(positions).findByRole("rowheader", { name: "BTC/USD" })).toBeInTheDocument();
    expect(positions).toHaveTextContent("0.985");
    const credentials = screen.getByRole("region", { name: "Exchange credentials" });
    expect(await within(credentials).findByText("…WXYZ")).toBeInTheDocument();
    expect(credentials).toHaveTextContent("verified");
    expect(credentials).toHaveTextContent("trade, read");
    expect(credentials).toHaveTextContent("10,000 USD");
    expect(credentials).not.toHaveTextContent(CREDENTIAL.id);
    const sessions = screen.getByRole("region", { name: "Sessions" });
    expect(await within(sessions).findByText("203.0.113.7")).toBeInTheDocument();
    expect(within(sessions).getAllByRole("button", { name: /End the session started/ })).toHaveLength(2);
    const devices = screen.getByRole("region", { name: "Sign-in devices" });
    expect(await within(devices).findByRole("rowheader", { name: "Ada's iPhone" })).toBeInTheDocument();
    const pushes = screen.getByRole("region", { name: "Push devices" });
    expect(await within(pushes).findByText("expo …a1b2")).toBeInTheDocument();
  });

  it("says what a user without trading or devices has: nothing, section by section", async () => {
    renderAt(
      `/users/${ADA.id}`,
      routes({
        [`GET ${base}/orders`]: { body: { items: [] } },
        [`GET ${base}/positions`]: { body: [] },
        [`GET ${base}/credentials`]: { body: [] },
        [`GET ${base}/sessions`]: { body: [] },
        [`GET ${base}/devices`]: { body: [] },
        [`GET ${base}/push-devices`]: { body: { items: [] } },
      }),
    );
    for (const empty of [
      "No orders yet.",
      "No positions.",
      "No exchange credentials stored.",
      "No active session.",
      "No sign-in device registered.",
      "No device receives pushes.",
    ]) {
      expect(await screen.findByText(empty)).toBeInTheDocument();
    }
  });

  it("a part that cannot load says why, and the rest of the page still shows", async () => {
    renderAt(`/users/${ADA.id}`, routes({ [`GET ${base}/positions`]: problem(503, "unavailable", "Execution is down") }));
    const positions = await screen.findByRole("region", { name: "Positions" });
    expect(await within(positions).findByRole("alert")).toHaveTextContent("Could not load the positions: Execution is down");
    expect(await screen.findByText("…WXYZ")).toBeInTheDocument();
  });

  it("ends a session after confirmation and a step-up, and the list follows", async () => {
    let proved = false;
    let remaining = SESSIONS;
    const { calls } = renderAt(
      `/users/${ADA.id}`,
      routes({
        [`GET ${base}/sessions`]: () => ({ body: remaining }),
        [`DELETE ${base}/sessions/${SESSIONS[0]?.id}`]: () => {
          if (!proved) return problem(403, "step_up_required", "Confirm this action with your second factor");
          remaining = SESSIONS.slice(1);
          return { status: 204 };
        },
        "POST /v1/auth/step-up": () => {
          proved = true;
          return { body: { access_token: STEPPED, expires_in: 900 } };
        },
      }),
    );
    const sessions = await screen.findByRole("region", { name: "Sessions" });
    await within(sessions).findByText("203.0.113.7");
    await userEvent.click(within(sessions).getAllByRole("button", { name: /End the session started/ })[0] as HTMLElement);
    const confirm = await screen.findByRole("dialog", { name: `End this session of ${ADA.email}?` });
    expect(confirm).toHaveTextContent("203.0.113.7");
    await userEvent.click(within(confirm).getByRole("button", { name: "End session" }));
    const stepUp = await screen.findByRole("dialog", { name: "Confirm it is you" });
    await userEvent.type(within(stepUp).getByLabelText("Authenticator code"), "123456");
    await userEvent.click(within(stepUp).getByRole("button", { name: "Confirm and continue" }));
    expect(await screen.findByText(`${ADA.email}'s session is ended.`)).toBeInTheDocument();
    await waitFor(() => expect(within(sessions).queryByText("203.0.113.7")).not.toBeInTheDocument());
    const deletes = calls.filter((c) => c.method === "DELETE");
    expect(deletes).toHaveLength(2);
    expect(deletes[1]?.authorization).toBe(`Bearer ${STEPPED}`);
  });

  it("ends every session, and revokes a sign-in device", async () => {
    const { calls } = renderAt(
      `/users/${ADA.id}`,
      routes({
        [`DELETE ${base}/sessions/${SESSIONS[0]?.id}`]: { status: 204 },
        [`DELETE ${base}/sessions/${SESSIONS[1]?.id}`]: { status: 204 },
        [`DELETE ${base}/devices/de71ce01-1111-4222-8333-944455556666`]: { status: 204 },
      }),
    );
    await userEvent.click(await screen.findByRole("button", { name: "End every session…" }));
    await userEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "End every session" }));
    expect(await screen.findByText(`2 sessions of ${ADA.email} ended.`)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Revoke the device Ada's iPhone" }));
    await userEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Revoke device" }));
    expect(await screen.findByText("“Ada's iPhone” is revoked.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path.split("/").slice(-2)[0])).toEqual([
      "sessions",
      "sessions",
      "devices",
    ]);
  });

  it("shows the detail when stopping pushes is refused, and the device stays", async () => {
    renderAt(
      `/users/${ADA.id}`,
      routes({
        [`DELETE ${base}/push-devices/9d9d9d9d-1111-4222-8333-944455556666`]: problem(404, "device_not_found", "No such device"),
      }),
    );
    const pushes = await screen.findByRole("region", { name: "Push devices" });
    await userEvent.click(await within(pushes).findByRole("button", { name: /Stop pushes to the ios device/ }));
    await userEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Stop pushes" }));
    expect(await screen.findByText("Refused: No such device")).toBeInTheDocument();
    expect(within(pushes).getByText("expo …a1b2")).toBeInTheDocument();
  });
});

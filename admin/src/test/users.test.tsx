import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ADA, AUDIT_ENTRY, adaDetail, problem, renderAt, token, type Routes } from "./fake";

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
  const routes = (over: Routes = {}): Routes => ({
    [`GET /v1/admin/users/${ADA.id}`]: { body: adaDetail() },
    "GET /v1/admin/audit": { body: { items: [AUDIT_ENTRY], next_before: null } },
    ...over,
  });

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
});

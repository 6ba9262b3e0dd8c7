import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import {
  ADA,
  ADMIN_ID,
  AUDIT_ENTRY,
  NO_SWITCHES,
  OVERVIEW,
  ROUTING,
  SWITCHES,
  VENUES,
  adaDetail,
  problem,
  renderAt,
  token,
} from "./fake";

const overviewRoutes = {
  "GET /v1/admin/overview": { body: OVERVIEW },
  "GET /v1/admin/kill-switch": { body: NO_SWITCHES },
};

describe("Overview", () => {
  it("shows accounts by tier and status, bots, 24 h trading, the order path and venue health", async () => {
    const { calls } = renderAt("/", overviewRoutes);
    const accounts = await screen.findByRole("region", { name: "Accounts" });
    const tile = (region: HTMLElement, label: string) => within(region).getByText(label).nextSibling;
    expect(tile(accounts, "Users")).toHaveTextContent("100");
    expect(tile(accounts, "Suspended")).toHaveTextContent("3");
    expect(within(accounts).getByRole("link", { name: "15" })).toHaveAttribute("href", "/admin/users?tier=pro");
    const bots = screen.getByRole("region", { name: "Bots" });
    expect(tile(bots, "Running")).toHaveTextContent("12");
    expect(tile(bots, "Paused")).toHaveTextContent("3");
    const trading = screen.getByRole("region", { name: "Trading, last 24 h" });
    expect(tile(trading, "Volume (quote)")).toHaveTextContent("1,234,567.89");
    expect(tile(trading, "Trades")).toHaveTextContent("350");
    expect(tile(trading, "Orders per minute")).toHaveTextContent("2.4");
    expect(tile(trading, "Error rate")).toHaveTextContent("2.5 %");
    expect(tile(trading, "Order path p99")).toHaveTextContent("180 ms");
    expect(tile(trading, "Order path p50")).toHaveTextContent("42 ms");
    expect(screen.getByText(/Breaker not closed on kraken/)).toBeInTheDocument();
    expect(screen.getByText(/global kill switch released/)).toBeInTheDocument();
    expect(screen.getByText("No user's trading is halted.")).toBeInTheDocument();
    // Two calls a refresh, not one per figure.
    expect(calls.map((c) => c.path).sort()).toEqual(["/v1/admin/kill-switch", "/v1/admin/overview"]);
  });

  it("shows who engaged the global kill switch, and refreshes on its own", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let trades = 350;
      const { calls } = renderAt("/", {
        "GET /v1/admin/overview": () => ({ body: { ...OVERVIEW, trading: { ...OVERVIEW.trading, trades_24h: trades } } }),
        "GET /v1/admin/kill-switch": { body: SWITCHES },
        [`GET /v1/admin/users/${ADMIN_ID}`]: { body: { ...adaDetail({ id: ADMIN_ID, email: "root@example.com", role: "admin" }) } },
      });
      const halts = await screen.findByRole("region", { name: "Kill switches" });
      expect(await within(halts).findByRole("link", { name: "root@example.com" })).toHaveAttribute("href", `/admin/users/${ADMIN_ID}`);
      expect(halts).toHaveTextContent(/Global kill switch ENGAGED since .* by root@example.com \(“exchange incident”\)/);
      expect(halts).toHaveTextContent("1 user's trading halted.");
      trades = 351;
      await vi.advanceTimersByTimeAsync(15_000);
      const trading = screen.getByRole("region", { name: "Trading, last 24 h" });
      await waitFor(() => expect(within(trading).getByText("Trades").nextSibling).toHaveTextContent("351"));
      // The setter's email is looked up once, not on every refresh.
      expect(calls.filter((c) => c.path === `/v1/admin/users/${ADMIN_ID}`)).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says so when there are no venues yet and nothing was traded", async () => {
    renderAt("/", {
      ...overviewRoutes,
      "GET /v1/admin/overview": {
        body: {
          ...OVERVIEW,
          trading: { orders_24h: 0, trades_24h: 0, volume_24h: "0", orders_per_minute: "0", error_rate: 0 },
          order_path: { samples: 0, p50_ms: null, p99_ms: null },
          venues: { breakers: {}, venues: [] },
        },
      },
    });
    expect(await screen.findByText("No venues reported yet.")).toBeInTheDocument();
    const trading = screen.getByRole("region", { name: "Trading, last 24 h" });
    expect(within(trading).getByText("Order path p99").nextSibling).toHaveTextContent("–");
    expect(within(trading).getByText("Error rate").nextSibling).toHaveTextContent("–");
  });

  it("shows the API's detail when the figures cannot load", async () => {
    renderAt("/", { ...overviewRoutes, "GET /v1/admin/overview": problem(403, "second_factor_required_for_admin", "Enrol a second factor") });
    expect(await screen.findByRole("alert")).toHaveTextContent("Enrol a second factor");
  });
});

describe("Kill switch", () => {
  it("engages the global switch with a reason and close-all after confirmation, then shows who", async () => {
    let engaged = false;
    const { calls } = renderAt("/kill-switch", {
      "GET /v1/admin/kill-switch": () => ({ body: engaged ? SWITCHES : NO_SWITCHES }),
      "POST /v1/admin/kill-switch": () => {
        engaged = true;
        return { body: { active: true, scope: "global", set_by: "admin", user_id: null, orders_cancelled: 4, positions_closing: 2 } };
      },
      [`GET /v1/admin/users/${ADMIN_ID}`]: { body: adaDetail({ id: ADMIN_ID, email: "root@example.com" }) },
    });
    expect(await screen.findByText(/released/)).toBeInTheDocument();
    expect(screen.getByText("No user's trading is halted.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Reason/), "exchange incident");
    await userEvent.click(screen.getByLabelText(/close every position/));
    await userEvent.click(screen.getByRole("button", { name: "Engage…" }));
    const dialog = await screen.findByRole("dialog", { name: "Engage the global kill switch?" });
    expect(dialog).toHaveTextContent("every position closed at market");
    await userEvent.click(within(dialog).getByRole("button", { name: "Engage kill switch" }));
    expect(await screen.findByText(/4 orders cancelled, 2 positions closing/)).toBeInTheDocument();
    expect(await screen.findByText("ENGAGED")).toBeInTheDocument();
    const banner = screen.getByText("ENGAGED").closest(".banner") as HTMLElement;
    await waitFor(() => expect(banner).toHaveTextContent(/Engaged .* by root@example.com: “exchange incident”/));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      scope: "global",
      active: true,
      reason: "exchange incident",
      close_all_positions: true,
    });
  });

  it("lists the users halted, who set each switch and why, and releases one", async () => {
    let halted = true;
    const { calls } = renderAt("/kill-switch", {
      "GET /v1/admin/kill-switch": () => ({ body: { global: null, users: halted ? SWITCHES.users : [] } }),
      "POST /v1/admin/kill-switch": () => {
        halted = false;
        return { body: { active: false, scope: "user", set_by: "admin", user_id: ADA.id } };
      },
    });
    const section = await screen.findByRole("region", { name: "Users halted" });
    const row = within(section).getByRole("link", { name: ADA.id.slice(0, 8) }).closest("tr") as HTMLElement;
    expect(row).toHaveTextContent("the user");
    expect(row).toHaveTextContent("halted by the trader");
    await userEvent.click(within(row).getByRole("button", { name: /Release the kill switch of user/ }));
    await userEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Release kill switch" }));
    expect(await screen.findByText("No user's trading is halted.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      scope: "user",
      user_id: ADA.id,
      active: false,
      close_all_positions: false,
    });
  });

  it("shows the refusal's detail", async () => {
    renderAt("/kill-switch", {
      "GET /v1/admin/kill-switch": { body: NO_SWITCHES },
      "POST /v1/admin/kill-switch": problem(403, "admin_required", "This action needs the admin role"),
    });
    await screen.findByText(/released/);
    await userEvent.click(screen.getByRole("button", { name: "Release…" }));
    await userEvent.click(await screen.findByRole("button", { name: "Release kill switch" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Refused: This action needs the admin role");
  });

  it("shows why the state cannot load", async () => {
    renderAt("/kill-switch", { "GET /v1/admin/kill-switch": problem(500, "internal", "Something broke") });
    expect(await screen.findByRole("alert")).toHaveTextContent("Something broke");
  });
});

describe("Venues", () => {
  it("lists breakers, queues, latency and success, and resets a breaker after a step-up", async () => {
    let proved = false;
    const { calls } = renderAt("/venues", {
      "GET /v1/admin/venues": { body: VENUES },
      "POST /v1/admin/venues/kraken/breaker/reset": () =>
        proved ? { body: { ...VENUES[1], breaker_state: "closed" } } : problem(403, "step_up_required", "Confirm this action"),
      "POST /v1/auth/step-up": () => {
        proved = true;
        return { body: { access_token: token({ n: 5 }), expires_in: 900 } };
      },
    });
    const row = (await screen.findByRole("rowheader", { name: "kraken" })).closest("tr") as HTMLElement;
    expect(row).toHaveTextContent("open");
    expect(row).toHaveTextContent("300 ms");
    expect(row).toHaveTextContent("50.0 %");
    await userEvent.click(within(row).getByRole("button", { name: "Reset the breaker of kraken" }));
    await userEvent.click(await screen.findByRole("button", { name: "Reset breaker" }));
    await userEvent.type(await screen.findByLabelText("Authenticator code"), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Confirm and continue" }));
    expect(await screen.findByText("kraken's breaker is closed.")).toBeInTheDocument();
    expect(calls.filter((c) => c.path.endsWith("/breaker/reset"))).toHaveLength(2);
  });

  it("marks fault injection as simulation only and shows a refusal's detail", async () => {
    const { calls } = renderAt("/venues", {
      "GET /v1/admin/venues": { body: VENUES },
      "POST /v1/admin/venues/coinbase/faults": problem(409, "not_simulated", "Faults can only be injected into simulated venues"),
    });
    const section = await screen.findByRole("region", { name: /simulation only/ });
    // Typed key by key, happy-dom's number input drops the "0." in between; set it whole.
    fireEvent.change(within(section).getByLabelText("Error rate (0 to 1)"), { target: { value: "0.5" } });
    await userEvent.click(within(section).getByRole("button", { name: "Inject faults…" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("Simulation only");
    await userEvent.click(within(dialog).getByRole("button", { name: "Inject faults" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("only be injected into simulated venues");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      error_rate: 0.5,
      timeout_rate: 0,
      rate_limit_rate: 0,
      lookup_error_rate: 0,
    });
  });

  it("says when no venue is configured, and why the list failed", async () => {
    renderAt("/venues", { "GET /v1/admin/venues": { body: [] } });
    expect(await screen.findByText("No venue is configured.")).toBeInTheDocument();
  });

  it("shows the error", async () => {
    renderAt("/venues", { "GET /v1/admin/venues": problem(503, "unavailable", "Execution is down") });
    expect(await screen.findByRole("alert")).toHaveTextContent("Execution is down");
  });
});

describe("Routing", () => {
  it("shows recent decisions and per-venue figures", async () => {
    renderAt("/routing", { "GET /v1/admin/routing": { body: ROUTING } });
    const decisions = await screen.findByRole("region", { name: "Recent decisions" });
    const decision = within(decisions).getByText("lowest expected cost").closest("tr") as HTMLElement;
    expect(within(decision).getByText("kraken").tagName).toBe("STRONG");
    expect(within(decisions).getByText("buy 0.01 BTC/USD market")).toBeInTheDocument();
    // Every candidate with its factors, the winner marked, the ineligible one with its reason.
    await userEvent.click(within(decisions).getByText("3 candidates and their factors"));
    const candidates = within(decisions).getByRole("table", { name: /Candidates for order 0f0e0d0c; kraken won/ });
    const kraken = within(candidates).getByRole("rowheader", { name: /kraken/ }).closest("tr") as HTMLElement;
    expect(kraken).toHaveTextContent("chosen");
    expect(kraken).toHaveTextContent("0.812346"); // the score, rounded on its digits
    expect(kraken).toHaveTextContent("50,001.5");
    expect(kraken).toHaveTextContent("99.0 %");
    const binance = within(candidates).getByRole("rowheader", { name: "binance" }).closest("tr") as HTMLElement;
    expect(binance).toHaveTextContent("no: breaker open");
    const venues = screen.getByRole("region", { name: "Per venue, last 24 h" });
    expect(within(venues).getByText("BTC/USD 99.0 %")).toBeInTheDocument();
  });

  it("says when nothing was routed", async () => {
    renderAt("/routing", { "GET /v1/admin/routing": { body: { decisions: [], venues: [], global_kill_switch: false } } });
    expect(await screen.findByText("No order has been routed yet.")).toBeInTheDocument();
  });

  it("shows the error", async () => {
    renderAt("/routing", { "GET /v1/admin/routing": problem(429, "rate_limited", "Too many requests") });
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many requests");
  });
});

describe("Audit", () => {
  it("filters on the server and pages back in time", async () => {
    const { calls } = renderAt("/audit", {
      "GET /v1/admin/audit": (request) => {
        const before = new URL(request.url).searchParams.get("before");
        return { body: before ? { items: [{ ...AUDIT_ENTRY, id: 7, action: "unseal" }], next_before: null } : { items: [AUDIT_ENTRY], next_before: 41 } };
      },
    });
    expect(await screen.findByText("user_suspended")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Action"), "user_suspended");
    await userEvent.type(screen.getByLabelText("From (UTC)"), "2026-12-01T08:00");
    await userEvent.click(screen.getByRole("button", { name: "Filter" }));
    await userEvent.click(await screen.findByRole("button", { name: "Older" }));
    expect(await screen.findByText("unseal")).toBeInTheDocument();
    const last = calls[calls.length - 1];
    expect(last?.search.get("action")).toBe("user_suspended");
    expect(last?.search.get("since")).toBe("2026-12-01T08:00:00Z");
    expect(last?.search.get("before")).toBe("41");
  });

  it("files kill switch changes under global, and links who made them", async () => {
    renderAt("/audit", {
      "GET /v1/admin/audit": {
        body: {
          items: [
            {
              ...AUDIT_ENTRY,
              action: "kill_switch_engaged",
              user_id: "global",
              actor_id: ADMIN_ID,
              details: { scope: "global", set_by: "admin", reason: "drill", close_all_positions: false },
            },
          ],
          next_before: null,
        },
      },
    });
    const row = (await screen.findByText("kill_switch_engaged")).closest("tr") as HTMLElement;
    expect(within(row).getByText("global").tagName).toBe("TD");
    expect(within(row).getByRole("link", { name: ADMIN_ID.slice(0, 8) })).toHaveAttribute("href", `/admin/users/${ADMIN_ID}`);
    expect(row).toHaveTextContent("reason: drill");
  });

  it("verifies the chain and shows the first broken link", async () => {
    renderAt("/audit", {
      "GET /v1/admin/audit": { body: { items: [AUDIT_ENTRY], next_before: null } },
      "POST /v1/admin/audit/verify": { body: { ok: false, checked: 40, first_broken_id: 41, reason: "hash mismatch" } },
    });
    await screen.findByText("user_suspended");
    await userEvent.click(screen.getByRole("button", { name: "Verify the chain" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("broken at entry #41: hash mismatch");
    expect(screen.getByText("first broken link").closest("tr")).toHaveClass("broken");
  });

  it("reports an intact chain", async () => {
    renderAt("/audit", {
      "GET /v1/admin/audit": { body: { items: [], next_before: null } },
      "POST /v1/admin/audit/verify": { body: { ok: true, checked: 12, first_broken_id: null, reason: null } },
    });
    expect(await screen.findByText("No audit entry matches.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Verify the chain" }));
    expect(await screen.findByText(/The chain holds: 12 entries checked/)).toBeInTheDocument();
  });

  it("shows why the log or the verification failed", async () => {
    renderAt("/audit", {
      "GET /v1/admin/audit": problem(422, "invalid_time", "since must be RFC 3339"),
      "POST /v1/admin/audit/verify": problem(403, "admin_required", "This action needs the admin role"),
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("since must be RFC 3339");
    await userEvent.click(screen.getByRole("button", { name: "Verify the chain" }));
    expect(await screen.findByText("This action needs the admin role")).toBeInTheDocument();
  });

  it("exports every filtered entry as CSV", async () => {
    const blobs: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      blobs.push(blob);
      return "blob:fake";
    };
    URL.revokeObjectURL = () => undefined;
    const downloads: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push(this.download);
    });
    const { calls } = renderAt("/audit", {
      "GET /v1/admin/audit": (request) => {
        const params = new URL(request.url).searchParams;
        if (params.get("limit") !== "500") return { body: { items: [AUDIT_ENTRY], next_before: null } };
        return params.get("before")
          ? { body: { items: [{ ...AUDIT_ENTRY, id: 2, details: { note: "=HYPERLINK(\"x\")" } }], next_before: null } }
          : { body: { items: [AUDIT_ENTRY], next_before: 41 } };
      },
    });
    await screen.findByText("user_suspended");
    await userEvent.click(screen.getByRole("button", { name: "Export CSV" }));
    await screen.findByRole("button", { name: "Export CSV" });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.filter((c) => c.search.get("limit") === "500")).toHaveLength(2);
    const text = await blobs[0]?.text();
    const lines = text?.trim().split("\r\n") ?? [];
    expect(lines[0]).toBe("id,at,user_id,actor_id,action,venue,credential_id,details,prev_hash,hash");
    expect(lines).toHaveLength(3);
    expect(downloads[0]).toMatch(/^nija-audit-.*\.csv$/);
    expect(lines[2]).toContain('"{""note"":""=HYPERLINK(\\""x\\"")""}"');
  });
});

describe("Navigation", () => {
  it("moves between sections by keyboard, and the new page takes the focus", async () => {
    renderAt("/routing", { "GET /v1/admin/routing": { body: ROUTING }, "GET /v1/admin/venues": { body: VENUES } });
    await screen.findByRole("heading", { name: "Recent decisions" });
    const venues = screen.getByRole("link", { name: "Venues" });
    venues.focus();
    await userEvent.keyboard("{Enter}");
    expect(await screen.findByRole("heading", { name: "Venues" })).toBeInTheDocument();
    expect(location.pathname).toBe("/admin/venues");
    expect(document.activeElement).toBe(screen.getByRole("main"));
    expect(screen.getByRole("link", { name: "Venues" })).toHaveAttribute("aria-current", "page");
  });

  it("every section is a deep link with a labelled nav, and unknown addresses say so", async () => {
    renderAt("/nowhere", {});
    expect(await screen.findByRole("heading", { name: "Not found" })).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Sections" });
    expect(within(nav).getAllByRole("link").map((a) => a.getAttribute("href"))).toEqual([
      "/admin/",
      "/admin/users",
      "/admin/kill-switch",
      "/admin/venues",
      "/admin/routing",
      "/admin/audit",
    ]);
  });
});

"""The traders' app as a newcomer meets it: the web export served at /app by a real `nija run`.

Sign up, connect simulated Binance (balances and markets), start the bot, place an order and
see its fill arrive over the WebSocket on the dashboard, open the position and its chart, close
it, find the trades and the close in activity, export the CSV, and walk every settings screen.
With NIJA_SCREENSHOTS=1 each screen is saved to mobile/docs/screenshots/ (mobile/README.md shows
them); otherwise the run leaves the tree as it was. Prints how fast the first screen was
interactive and how big the JS bundle is (targets: < 2 s, <= 2.5 MB).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Route, WebSocket, expect

from bench.launcher import PlatformProcess

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "mobile" / "dist"
SHOTS = ROOT / "mobile" / "docs" / "screenshots"
BUNDLE_BUDGET_BYTES = int(2.5 * 1024 * 1024)
INTERACTIVE_TARGET_MS = 2000
# The 2 s target is the seed's on a developer's machine; a loaded 2-core CI box gets slack.
INTERACTIVE_LIMIT_MS = 6000
PASSWORD = "correct horse battery staple 7"


def _bundle_bytes() -> int:
    html = (DIST / "index.html").read_text()
    scripts = re.findall(r'src="/app/assets/([^"]+\.js)"', html)
    assert scripts, "index.html loads no script from /app/assets/"
    return sum((DIST / script).stat().st_size for script in scripts)


async def _shot(page: Page, name: str) -> None:
    """Only when asked (NIJA_SCREENSHOTS=1): the PNGs are committed, and a run should not
    rewrite them with a different clock, balance or id."""
    if os.environ.get("NIJA_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(150)  # let a layout pass settle
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _box(page: Page, test_id: str) -> Any:
    """Locators within one screen (the tab navigator keeps the others mounted, hidden)."""
    return page.get_by_test_id(test_id)


@pytest.mark.timeout(420)
async def test_a_new_trader_signs_up_connects_binance_and_trades_on_the_web(
    mobile_platform: PlatformProcess, browser_context: BrowserContext
) -> None:
    assert (DIST / "index.html").is_file(), "mobile/dist is missing: run `make mobile-build`"
    async with httpx.AsyncClient(base_url=mobile_platform.base_url) as client:
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
    if "/v1/dashboard/overview" not in paths:
        # The app's Dashboard, Positions and Activity read the dashboard's read side; until the
        # platform serves it there is nothing for this walk to see.
        pytest.skip("this platform has no dashboard read side (/v1/dashboard/overview) yet")
    bundle = _bundle_bytes()
    print(f"\nweb bundle: {bundle / 1024 / 1024:.2f} MB of JS (budget 2.5 MB)")
    assert bundle <= BUNDLE_BUDGET_BYTES

    page = await browser_context.new_page()
    await page.set_viewport_size({"width": 420, "height": 900})  # a phone's width
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    frames: list[dict[str, Any]] = []

    def watch(socket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            frames.append(json.loads(payload))

        socket.on("framereceived", received)

    page.on("websocket", watch)
    base = mobile_platform.base_url

    # Welcome, interactive fast.
    await page.goto(f"{base}/app")
    create = page.get_by_role("button", name="Create an account")
    await expect(create).to_be_enabled(timeout=15_000)
    interactive_ms = await page.evaluate("performance.now()")
    print(
        f"first screen interactive in {interactive_ms:.0f} ms (target {INTERACTIVE_TARGET_MS} ms)"
    )
    assert interactive_ms < INTERACTIVE_LIMIT_MS
    await _shot(page, "01-welcome")

    # Sign up.
    await create.click()
    email = f"web-{uuid.uuid4().hex[:8]}@example.com"
    await page.get_by_role("textbox", name="Email", exact=True).fill(email)
    await page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORD)
    await page.get_by_role("textbox", name="Repeat password", exact=True).fill(PASSWORD)
    await _shot(page, "02-sign-up")
    await page.get_by_role("button", name="Create account").click()

    # Connect Exchange, 3 steps; a reload on the way carries on with onboarding.
    await expect(page.get_by_text("Step 1 of 3")).to_be_visible(timeout=15_000)
    await page.reload()
    await expect(page.get_by_text("Step 1 of 3")).to_be_visible(timeout=15_000)
    await _shot(page, "03-connect-instructions")
    await page.get_by_role("button", name="I have my key").click()
    await page.get_by_role("textbox", name="API key", exact=True).fill(
        f"binance-{secrets.token_hex(8)}"
    )
    await page.get_by_role("textbox", name="API secret", exact=True).fill(secrets.token_urlsafe(24))
    await _shot(page, "04-connect-keys")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_text("Binance is connected")).to_be_visible(timeout=30_000)
    await expect(page.get_by_label("USD: 10000")).to_be_visible()
    await expect(page.get_by_label(re.compile(r"^Markets: [1-9]"))).to_be_visible()
    await _shot(page, "05-connect-result")
    await page.get_by_role("button", name="Start trading").click()

    # Biometrics (phones only: the web says so), done.
    await expect(page.get_by_text("Biometric login").first).to_be_visible(timeout=15_000)
    await _shot(page, "06-biometrics")
    await page.get_by_role("button", name="Continue").click()
    await _shot(page, "07-done")
    await page.get_by_role("button", name="Go to my dashboard").click()

    dashboard = _box(page, "dashboard")
    await expect(dashboard.get_by_text("Bot: Active")).to_be_visible(timeout=15_000)
    await expect(dashboard.get_by_label("Exchanges: Binance")).to_be_visible()
    await _shot(page, "08-dashboard")

    # A market order by hand; its fill comes over the socket and shows on the dashboard.
    await dashboard.get_by_role("button", name="New order").click()
    await page.get_by_role("textbox", name="Quantity", exact=True).fill("0.005")
    await page.get_by_role("button", name=re.compile(r"^Buy 0\.005 BTC")).click()
    await expect(page.get_by_text("Order sent")).to_be_visible(timeout=15_000)
    await _shot(page, "09-new-order")
    await page.go_back()
    deadline = time.monotonic() + 60
    while not any(f.get("type") == "order.filled" for f in frames):
        assert time.monotonic() < deadline, f"no order.filled pushed; frames: {frames[-5:]}"
        await page.wait_for_timeout(200)
    filled = next(f for f in frames if f.get("type") == "order.filled")
    assert filled["order"]["symbol"] == "BTC/USD"
    await expect(
        dashboard.get_by_label(re.compile(r"^Last trade: Buy 0\.005 BTC.USD"))
    ).to_be_visible(timeout=15_000)
    await expect(dashboard.get_by_label("Details of BTC/USD")).to_be_visible(timeout=15_000)
    await _shot(page, "10-dashboard-live")

    # Positions, the detail with its chart, close (confirmed).
    await page.get_by_role("tab", name="Positions").click()
    positions = _box(page, "positions")
    await expect(positions.get_by_label("Details of BTC/USD")).to_be_visible(timeout=15_000)
    await _shot(page, "11-positions")
    await positions.get_by_label("Details of BTC/USD").click()
    detail = _box(page, "position-detail")
    await expect(detail.get_by_text("Strategy", exact=True)).to_be_visible(timeout=15_000)
    # The chart has prices once the venue's first 1-minute bar since start-up has closed.
    # The detail re-renders as live pushes land (its nodes are replaced, so a pointer click keeps
    # missing them): the radio takes the press as a click event, as a keyboard or screen reader
    # user's activation arrives.
    await detail.get_by_role("radio", name="Chart range: 1H").dispatch_event("click")
    chart = detail.get_by_role("img", name=re.compile(r"^BTC.USD price, 1H: from \$"))
    await expect(chart).to_be_visible(timeout=120_000)
    await expect(chart.locator("svg path").first).to_be_attached()
    await _shot(page, "12-position-detail")
    # The first Activity answer reaches the app only after the close's activity push has (a
    # slow network): read before the close committed, it lacks the close, and the app must
    # fetch again for the push rather than keep that answer (it used to, intermittently).
    held: list[str] = []

    async def deliver_after_the_close_push(route: Route) -> None:
        if held:
            await route.continue_()
            return
        held.append(route.request.url)
        response = await route.fetch()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            f.get("type") == "trade.executed" and f["trade"]["type"] == "close" for f in frames
        ):
            await page.wait_for_timeout(50)
        await route.fulfill(response=response)

    await page.route(re.compile(r".*/v1/dashboard/activity\?.*"), deliver_after_the_close_push)
    await detail.get_by_role("button", name="Close BTC/USD now").click()
    await page.get_by_test_id("confirm-yes").click()
    await expect(detail.get_by_text(re.compile("Close sent"))).to_be_visible(timeout=15_000)
    await page.go_back()

    # Activity: the buy and the close (with its P&L); the CSV (every fill) downloads.
    await page.get_by_role("tab", name="Activity").click()
    activity = _box(page, "activity")
    await expect(activity.get_by_label(re.compile(r"^Closed: Closed BTC.USD"))).to_be_visible(
        timeout=30_000
    )
    await expect(activity.get_by_label(re.compile(r"^Buy: Buy 0\.005 BTC.USD"))).to_be_visible()
    assert held, "the Activity list was never asked for"
    await _shot(page, "13-activity")
    async with page.expect_download() as download_info:
        await activity.get_by_role("button", name="Export activity as CSV").click()
    download = await download_info.value
    csv = Path(await download.path()).read_text()
    header, *rows = csv.strip().splitlines()
    assert "symbol" in header and "realised" in header.lower(), header
    assert sum("BTC/USD" in row for row in rows) >= 2, csv

    # Settings and each of its sections.
    await page.get_by_role("tab", name="Settings").click()
    settings = _box(page, "settings")
    await expect(settings.get_by_label(f"Email: {email}")).to_be_visible(timeout=15_000)
    await _shot(page, "14-settings")
    for index, (title, test_id, ready) in enumerate(
        [
            ("Profile", "settings-profile", "Display name"),
            ("Trading", "settings-trading", "Risk level"),
            ("Exchanges", "settings-exchanges", "Verification"),
            ("TradingView", "settings-tradingview", "Create hook"),
            ("Notifications", "settings-notifications", "Push on this phone"),
            ("Security", "settings-security", "Two-factor authentication"),
        ],
        start=15,
    ):
        await settings.get_by_role("button", name=re.compile(f"^{title},")).click()
        screen = _box(page, test_id)
        await expect(screen.get_by_text(ready, exact=True).first).to_be_visible(timeout=15_000)
        await _shot(page, f"{index}-{title.lower()}")
        await page.go_back()

    assert not errors, f"the page threw: {errors}"

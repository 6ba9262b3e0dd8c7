"""The admin panel in a real browser against a real `nija run`.

An admin made with `nija users create-admin` signs in, enrols TOTP and proves it; finds a
trader (filtering by tier) and sees their support picture (an order, credential metadata and
never a secret); ends the trader's session (their token stops working); suspends them (the
trader's next order is refused) and reinstates them; engages the global kill switch (the
trader's order is refused, the page says who engaged it) and releases it; resets a breaker;
opens a route decision's candidates; verifies the audit chain and finds their own actions,
the kill switch's included, in it. Every page is saved as a screenshot: into
admin/docs/screenshots (shown by admin/README.md) with NIJA_UPDATE_SCREENSHOTS=1
(`make admin-screenshots`), else beside the test's data, so a test run leaves the tree clean.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from bench.launcher import PlatformProcess
from tests.e2e.trader import store_credentials

README_SHOTS = Path(__file__).resolve().parents[2] / "admin" / "docs" / "screenshots"
ADMIN_EMAIL = "root@example.com"
ADMIN_PASSWORD = "browser admin horse battery 9"
TRADER_PASSWORD = "browser trader horse battery 8"
ORDER = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"}


class Shots:
    def __init__(self, scratch: Path) -> None:
        keep = os.environ.get("NIJA_UPDATE_SCREENSHOTS") == "1"
        self.folder = README_SHOTS if keep else scratch / "screenshots"
        self.folder.mkdir(parents=True, exist_ok=True)

    async def __call__(self, page: Any, name: str) -> None:
        await page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


async def trader_signs_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    login = await client.post("/v1/auth/login", json={"email": email, "password": TRADER_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def order(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        "/v1/orders",
        json=ORDER,
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


async def confirm(page: Any, button: str) -> None:
    """Press the confirmation dialog's button; no step-up may be asked: the admin proved
    their second factor on enrolment, which counts for five minutes."""
    dialog = page.get_by_role("dialog")
    await dialog.get_by_role("button", name=button, exact=True).click()
    await dialog.wait_for(state="detached")


@pytest.mark.timeout(180)
async def test_an_admin_enrols_and_steers_the_platform(
    browser_platform: PlatformProcess, browser_context: Any
) -> None:
    platform = browser_platform
    shot = Shots(platform.data_dir.parent)
    platform.command("users", "create-admin", "--email", ADMIN_EMAIL, stdin=f"{ADMIN_PASSWORD}\n")
    trader_email = f"trader-{uuid.uuid4().hex[:6]}@example.com"
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        registered = await client.post(
            "/v1/auth/register", json={"email": trader_email, "password": TRADER_PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        trader = await trader_signs_in(client, trader_email)
        sent = await store_credentials(client, trader)
        first_order = await order(client, trader)
        assert first_order.status_code == 202, first_order.text

        page = await browser_context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))

        # Deep link, signed out: the panel loads and asks to sign in.
        answer = await page.goto(f"{platform.base_url}/admin/users")
        assert answer is not None and answer.status == 200
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert answer.headers["x-frame-options"] == "DENY"
        await page.get_by_label("Email").fill(ADMIN_EMAIL)
        await page.get_by_label("Password").fill(ADMIN_PASSWORD)
        await shot(page, "01-sign-in")
        await page.get_by_role("button", name="Sign in").click()

        # No second factor yet: enrol TOTP from the otpauth URI, then prove it once more.
        await page.get_by_role("button", name="Set up an authenticator app").click()
        uri = await page.get_by_test_id("otpauth-uri").inner_text()
        totp = pyotp.TOTP(parse_qs(urlsplit(uri).query)["secret"][0])
        await page.get_by_role("img", name=re.compile("QR code")).wait_for()
        await shot(page, "02-enrol-totp")
        now = time.time()
        await page.get_by_label("Code", exact=True).fill(totp.at(now))
        await page.get_by_role("button", name="Confirm").click()
        await page.get_by_label("Recovery codes").wait_for()
        # The next step's code: the server takes one step either side of its clock.
        await page.get_by_label("Next code").fill(totp.at(now + 30))
        await page.get_by_role("button", name="Open the console").click()
        await page.get_by_role("heading", name="Users").wait_for()

        # Find the trader (a basic-tier account), see their support picture.
        await page.get_by_label("Email or name contains").fill(trader_email)
        await page.get_by_label("Tier").select_option("basic")
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("link", name=trader_email).wait_for()
        await shot(page, "03-users")
        await page.get_by_role("link", name=trader_email).click()
        await page.get_by_role("heading", name=trader_email).wait_for()
        orders = page.get_by_role("region", name="Latest orders")
        await orders.get_by_text(first_order.json()["id"][:8]).wait_for(timeout=15_000)
        credentials = page.get_by_role("region", name="Exchange credentials")
        await credentials.get_by_text(f"…{sent[0][-4:]}").wait_for()
        html = await page.content()
        assert not [value for value in sent if value in html], "a key or secret reached the page"
        sessions = page.get_by_role("region", name="Sessions")
        end_session = sessions.get_by_role("button", name=re.compile("^End the session"))
        await end_session.wait_for()
        await page.get_by_role("region", name="Bot").get_by_text("Venue and pairs").wait_for()
        await shot(page, "04-user")

        # End the trader's session: their token stops working.
        await end_session.click()
        await confirm(page, "End session")
        await page.get_by_text(f"{trader_email}'s session is ended.").wait_for()
        await sessions.get_by_text("No active session.").wait_for()
        ended = await order(client, trader)
        assert ended.status_code == 401, ended.text
        trader = await trader_signs_in(client, trader_email)

        # Suspend them: their next order is refused.
        await page.get_by_label(re.compile("^Reason")).fill("browser test: fraud review")
        await page.get_by_role("button", name="Suspend…").click()
        await confirm(page, "Suspend")
        await page.get_by_text(f"{trader_email} is suspended.").wait_for()
        refused = await order(client, trader)
        assert refused.status_code in (401, 403), refused.text
        assert refused.json()["code"] in ("user_suspended", "token_revoked")
        await page.get_by_role("button", name="Reinstate…").click()
        await confirm(page, "Reinstate")
        await page.get_by_text(f"{trader_email} is active again.").wait_for()
        await page.get_by_text("admin_suspend").wait_for()
        trader = await trader_signs_in(client, trader_email)

        # The global kill switch: orders are refused while it is engaged.
        await page.get_by_role("link", name="Kill switch").click()
        await page.get_by_label(re.compile("^Reason")).fill("browser test: incident drill")
        await page.get_by_role("button", name="Engage…").click()
        await confirm(page, "Engage kill switch")
        await page.get_by_text("Global kill switch engaged.").wait_for()
        await page.get_by_text("ENGAGED", exact=True).wait_for()
        await page.get_by_role("link", name=ADMIN_EMAIL).wait_for()
        await shot(page, "05-kill-switch")
        halted = await order(client, trader)
        assert halted.status_code == 403, halted.text
        assert halted.json()["code"] == "kill_switch_active"
        await page.get_by_role("button", name="Release…").click()
        await confirm(page, "Release kill switch")
        await page.get_by_text("Global kill switch released.").wait_for()
        placed = await order(client, trader)
        assert placed.status_code == 202, placed.text

        # Venues: reset a breaker.
        await page.get_by_role("link", name="Venues").click()
        await page.get_by_role("button", name="Reset the breaker of coinbase").click()
        await confirm(page, "Reset breaker")
        await page.get_by_text("coinbase's breaker is closed.").wait_for()
        await shot(page, "06-venues")

        await page.get_by_role("link", name="Routing").click()
        await page.get_by_role("heading", name="Recent decisions").wait_for()
        await page.get_by_role("cell", name="BTC/USD", exact=False).first.wait_for()
        await page.get_by_text(re.compile(r"^\d+ candidates? and their factors$")).first.click()
        await page.get_by_text("chosen", exact=True).first.wait_for()
        await shot(page, "07-routing")

        # Audit: the chain holds, and the admin's own actions are in it.
        await page.get_by_role("link", name="Audit").click()
        await page.get_by_role("button", name="Verify the chain").click()
        await page.get_by_text(re.compile(r"The chain holds: \d+ entries checked")).wait_for()
        await page.get_by_label("Action").fill("admin_reinstate")
        await page.get_by_role("button", name="Filter").click()
        await page.get_by_role("cell", name="admin_reinstate").wait_for()
        await page.get_by_label("Action").fill("kill_switch_engaged")
        await page.get_by_role("button", name="Filter").click()
        engaged = page.get_by_role("row").filter(has_text="kill_switch_engaged")
        await engaged.get_by_text("browser test: incident drill", exact=False).wait_for()
        await page.get_by_label("Action").fill("")
        await page.get_by_role("button", name="Filter").click()
        await page.get_by_role("cell", name="kill_switch_released").wait_for()
        await shot(page, "08-audit")

        await page.get_by_role("link", name="Overview").click()
        await page.get_by_role("heading", name="Venue health").wait_for()
        await page.get_by_role("heading", name="Bots").wait_for()
        await shot(page, "00-overview")

        await page.set_viewport_size({"width": 820, "height": 1180})
        await page.get_by_role("link", name="Users").click()
        await page.get_by_role("heading", name="Users").wait_for()
        await shot(page, "09-users-tablet")

        assert problems == [], problems

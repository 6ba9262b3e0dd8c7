"""Browser end-to-end fixtures: a real `nija run` and Debian's Chromium driven by Playwright.

`browser_platform` starts the platform the way `make run` does (embedded PostgreSQL, simulated
venues, the market sped up); `browser_context` is a fresh Chromium context (phone-sized) on it.
Chromium is the system's (`apt-get install chromium`): Playwright downloads no browser here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

from bench.launcher import PlatformProcess, running_platform

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = (
    os.environ.get("NIJA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)


@pytest.fixture
async def browser_platform(
    embedded_tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PlatformProcess]:
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with running_platform(
        embedded_tmp_path / "data",
        server_url=server,
        db_prefix="nija_browser",
        extra_env={"NIJA_SIM_SPEED": "60", "NIJA_LOG_LEVEL": "WARNING"},
    ) as started:
        yield started
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"---- nija run stderr ----\n{started.stderr()[-20000:]}")


@pytest.fixture
async def browser_context() -> AsyncIterator[BrowserContext]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (or set NIJA_CHROMIUM)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = await browser.new_context(
            viewport={"width": 420, "height": 900}, device_scale_factor=1, accept_downloads=True
        )
        try:
            yield context
        finally:
            await context.close()
            await browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)

"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright against `nija run`.

Playwright never downloads a browser here; it launches the system Chromium. Without it the
browser tests fail when NIJA_REQUIRE_BROWSER=1 (as `make test` sets) and are skipped otherwise;
likewise without a built admin panel (`make admin-build`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.launcher import PlatformProcess, running_platform

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ADMIN_DIST = ROOT / "admin" / "dist"
MOBILE_DIST = ROOT / "mobile" / "dist"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("NIJA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (NIJA_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
async def browser_platform(
    embedded_tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PlatformProcess]:
    """`nija run` serving the built admin panel at /admin."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    if not (ADMIN_DIST / "index.html").is_file():
        _unavailable("the admin panel is not built: `make admin-build`")
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with running_platform(
        embedded_tmp_path / "data", server_url=server, db_prefix="nija_browser"
    ) as started:
        yield started
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"---- nija run stderr ----\n{started.stderr()[-20000:]}")


@pytest.fixture
async def mobile_platform(
    embedded_tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PlatformProcess]:
    """`nija run` serving the traders' app's web export at /app.

    The market runs at the wall clock's speed: a position's chart is drawn from the bars of the
    wall-clock window before now, and a sped-up simulator's bars carry its own market time
    (from 2024-01-01), which no such window holds."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    if not (MOBILE_DIST / "index.html").is_file():
        _unavailable("the traders' app is not built: `make mobile-build`")
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with running_platform(
        embedded_tmp_path / "data",
        server_url=server,
        db_prefix="nija_app",
    ) as started:
        yield started
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"---- nija run stderr ----\n{started.stderr()[-20000:]}")


@pytest.fixture
async def browser_context() -> AsyncIterator[Any]:
    """A fresh Chromium profile (nothing shared between tests), 1280 px wide."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory(prefix="nija-chromium-") as profile:
        async with async_playwright() as playwright:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 800},
            )
            try:
                yield context
            finally:
                await context.close()

"""Dashboard tests run the platform with the dashboard as its only module.

The tests play routing and execution by publishing their contract events; with those modules
loaded, execution would also act on a test's `OrderRouted` (and reject it for its made-up
credential), so the dashboard would see events the test never sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from app import create_app
from tests.conftest import RunningApp, serve, truncate_all


@pytest.fixture
async def running(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    async with serve(create_app(make_settings(modules=("dashboard",)))) as running_app:
        yield running_app


@pytest.fixture
def now(running: RunningApp) -> Iterator[datetime]:
    """The app's clock stopped at a known instant (the screens' "today" and marks' ages)."""
    from tests.dashboard.screens import T0

    fixed = T0 + timedelta(hours=8)
    previous = running.runtime.clock
    running.runtime.clock = lambda: fixed
    try:
        yield fixed
    finally:
        running.runtime.clock = previous

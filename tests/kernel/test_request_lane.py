"""HTTP requests take database connections of their own: a trader's request is answered while
background work (event deliveries, workers) holds every connection it may hold.

Under load the fills and folds kept all of the pool's connections busy, and an order waited
behind them for a connection (up to 25 ms at p99 in `bench/orders.py`'s open loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import create_app
from modules.kernel.db import Database
from tests.conftest import RunningApp, serve, truncate_all

BACKGROUND = 2  # NIJA_DB_POOL_MAX in these tests
REQUESTS = 1  # NIJA_DB_POOL_REQUESTS


@pytest.fixture
async def small_pool(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    settings = make_settings(db_pool_min=1, db_pool_max=BACKGROUND, db_pool_requests=REQUESTS)
    async with serve(create_app(settings)) as running:
        yield running


async def _hold(db: Database, got: asyncio.Event, release: asyncio.Event) -> None:
    async with db.connection():
        got.set()
        await release.wait()


async def test_a_request_is_answered_while_background_work_holds_all_its_connections(
    small_pool: RunningApp,
) -> None:
    db = small_pool.runtime.db
    release, release_late = asyncio.Event(), asyncio.Event()
    got = [asyncio.Event() for _ in range(BACKGROUND)]
    holders = [asyncio.create_task(_hold(db, each, release)) for each in got]
    late = asyncio.Event()
    waiting: asyncio.Task[None] | None = None
    try:
        await asyncio.wait_for(asyncio.gather(*(each.wait() for each in got)), 10)
        # More background work waits for a turn...
        waiting = asyncio.create_task(_hold(db, late, release_late))
        await asyncio.sleep(0.3)
        assert not late.is_set()
        # ...while a request reaches the database at once.
        ready = await asyncio.wait_for(small_pool.client.get("/ready"), 5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] is True
        release.set()
        await asyncio.wait_for(late.wait(), 5)  # its turn came once the others ended
    finally:
        release.set()
        release_late.set()
        await asyncio.gather(*holders, *([waiting] if waiting else []), return_exceptions=True)

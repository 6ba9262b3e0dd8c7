"""Shutdown never hangs on a connection some task forgot to give back."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from modules.kernel.db import Database


async def test_a_held_connection_is_cut_after_the_grace_period(
    database_url: str, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=2)
    await database.start()
    held = asyncio.Event()

    async def forgetful() -> None:
        async with database.connection():
            held.set()
            await asyncio.Event().wait()  # never returns the connection

    task = asyncio.create_task(forgetful())
    await held.wait()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="nija.db"):
        await database.stop(grace_seconds=0.3)
    assert time.monotonic() - started < 5
    assert database.engine.pool is None
    assert "1 connection(s) still held" in caplog.text
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_an_idle_pool_closes_at_once(database_url: str, tmp_path: object) -> None:
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=2)
    await database.start()
    assert await database.ping()
    started = time.monotonic()
    await database.stop(grace_seconds=30)
    assert time.monotonic() - started < 2

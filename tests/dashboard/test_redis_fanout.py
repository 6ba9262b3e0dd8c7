"""Two replicas sharing users through Redis: a push reaches the owner on either replica.

Replica A runs in the test (so the test can feed its bus); replica B is `nija run` in a
subprocess hosting only the dashboard. Needs a `redis-server` binary; skipped without one.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from app import create_app
from bench.launcher import PlatformProcess, free_port
from tests.conftest import TEST_JWT_SECRET, RunningApp, serve, truncate_all
from tests.dashboard.helpers import new_user, next_message, open_socket, publish, routed


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


async def _wait_for_redis(url: str) -> None:
    client = redis.from_url(url)
    try:
        for _ in range(100):
            try:
                await client.ping()
                return
            except (redis.ConnectionError, OSError):
                await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")
    finally:
        await client.aclose()


@pytest.fixture
async def replicas(
    make_settings: Any, database_url: str, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[RunningApp, PlatformProcess]]:
    await _wait_for_redis(redis_url)
    await truncate_all(database_url)
    settings = make_settings(modules=("dashboard",), redis_url=redis_url)
    async with serve(create_app(settings)) as replica_a:
        replica_b = PlatformProcess(
            tmp_path / "replica-b",
            database_url=database_url,
            extra_env={
                "NIJA_MODULES": "dashboard",
                "NIJA_REDIS_URL": redis_url,
                "NIJA_JWT_SECRET": TEST_JWT_SECRET,
            },
        )
        replica_b.start()
        try:
            await replica_b.wait_ready(60)
            yield replica_a, replica_b
        finally:
            await asyncio.to_thread(replica_b.stop)


async def test_push_reaches_the_owner_on_every_replica_and_nobody_else(
    replicas: tuple[RunningApp, PlatformProcess],
) -> None:
    replica_a, replica_b = replicas
    owner, owner_token = new_user(replica_a)
    other, other_token = new_user(replica_a)
    on_a = await open_socket(replica_a, owner_token)
    on_b = await open_socket(replica_b.ws_url, owner_token)
    other_on_b = await open_socket(replica_b.ws_url, other_token)

    order = routed(owner)
    await publish(replica_a, order)
    for ws in (on_a, on_b):
        message = await next_message(ws)
        assert message["type"] == "order.updated"
        assert message["order"]["id"] == order.order_id

    # The channel is ordered: had the stranger been sent the owner's push, it would come first.
    own = routed(other)
    await publish(replica_a, own)
    message = await next_message(other_on_b)
    assert message["order"]["id"] == own.order_id
    for ws in (on_a, on_b, other_on_b):
        await ws.close()

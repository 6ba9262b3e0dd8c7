"""Two processes on one database, no Redis: pushes reach the owner's sockets on either one,
through PostgreSQL LISTEN/NOTIFY (the default), and each process knows whose sockets the other
holds, so the read side builds pushes only for users someone is listening for.

Replica A runs in the test (so the test can feed its bus); replica B is `nija run` in a
subprocess hosting only the dashboard, on the same database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from bench.launcher import PlatformProcess
from modules.dashboard.adapters.pg_notify_hub import PostgresHub
from tests.conftest import TEST_JWT_SECRET, RunningApp, serve, truncate_all
from tests.dashboard.helpers import new_user, next_message, open_socket, publish, routed


@pytest.fixture
async def replicas(
    make_settings: Any, database_url: str, embedded_tmp_path: Path
) -> AsyncIterator[tuple[RunningApp, PlatformProcess]]:
    await truncate_all(database_url)
    async with serve(create_app(make_settings(modules=("dashboard",)))) as replica_a:
        replica_b = PlatformProcess(
            embedded_tmp_path / "replica-b",
            database_url=database_url,
            extra_env={"NIJA_MODULES": "dashboard", "NIJA_JWT_SECRET": TEST_JWT_SECRET},
        )
        replica_b.start()
        try:
            await replica_b.wait_ready(60)
            yield replica_a, replica_b
        finally:
            await asyncio.to_thread(replica_b.stop)


def _hub(running: RunningApp) -> PostgresHub:
    hub = running.app.state.platform.modules["dashboard"].hub
    assert isinstance(hub, PostgresHub), type(hub)
    return hub


async def _until(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def test_a_push_reaches_the_owner_on_both_processes_and_nobody_else(
    replicas: tuple[RunningApp, PlatformProcess],
) -> None:
    replica_a, replica_b = replicas
    owner, owner_token = new_user(replica_a)
    other, other_token = new_user(replica_a)
    on_a = await open_socket(replica_a, owner_token)
    on_b = await open_socket(replica_b.ws_url, owner_token)
    other_on_b = await open_socket(replica_b.ws_url, other_token)
    # A process sends a push on only for users another process said it holds sockets of; that
    # word travels as a notification too, so a push folded the instant a socket opens elsewhere
    # would race it (the app reads the state afresh when its socket opens).
    hub = _hub(replica_a)
    await _until(lambda: hub.reachable(owner) and hub.reachable(other))

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


async def test_each_process_knows_whose_sockets_the_other_holds(
    replicas: tuple[RunningApp, PlatformProcess],
) -> None:
    replica_a, replica_b = replicas
    hub = _hub(replica_a)
    user, token = new_user(replica_a)
    assert not hub.reachable(user)

    on_b = await open_socket(replica_b.ws_url, token)
    await _until(lambda: hub.reachable(user))  # B said it holds the user's first socket
    assert hub.connections(user) == 0  # none of them here

    await on_b.close()
    await _until(lambda: not hub.reachable(user))  # and that the last one is gone

"""The adapters the contract suite runs against, each behind one fixture.

Pub/sub: the in-process bus, and `DaprPubSub` talking to a fake sidecar over real gRPC while the
sidecar delivers to a real Litestar app (the `DaprPubSub.routes()` handlers) on uvicorn over
real HTTP.
State: the Postgres store on the session's test database, and `DaprStateStore` against the fake
sidecar configured with the store names declared in `dapr/components/`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from modules.kernel.adapters.dapr_state import DaprStateStore
from modules.kernel.adapters.memory_bus import InProcessPubSub
from modules.kernel.adapters.pg_state import PostgresStateStore
from modules.kernel.dapr_sidecar import close_shared_clients
from modules.kernel.db import Database
from modules.kernel.ports import PubSub, StateStore
from tests.fakes.dapr_app import COMPONENTS, dapr_app_on, dapr_settings
from tests.fakes.dapr_sidecar import FakeDaprSidecar, components_in

MAX_ATTEMPTS = 3


@dataclass
class Bus:
    kind: str
    pubsub: PubSub
    max_attempts: int
    drain: Callable[[], Awaitable[None]]


@contextlib.asynccontextmanager
async def dapr_bus() -> AsyncIterator[Bus]:
    pubsubs, _ = components_in(COMPONENTS)
    async with (
        FakeDaprSidecar(pubsubs=pubsubs, max_attempts=MAX_ATTEMPTS) as sidecar,
        dapr_app_on(sidecar) as wired,
    ):
        yield Bus("dapr", wired.pubsub, MAX_ATTEMPTS, sidecar.drain)


@pytest.fixture(params=["memory", "dapr"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if request.param == "memory":
        memory = InProcessPubSub(
            max_attempts=MAX_ATTEMPTS, retry_base_seconds=0.005, retry_max_seconds=0.02
        )
        await memory.start()
        try:
            yield Bus("memory", memory, MAX_ATTEMPTS, memory.drain)
        finally:
            await memory.stop()
        return
    async with dapr_bus() as dapr:
        yield dapr


_migrated: set[str] = set()


@pytest.fixture
async def db(database_url: str, tmp_path: Any) -> AsyncIterator[Database]:
    """The kernel's database handle on the session's test database, kernel schema migrated."""
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=4)
    await database.start()
    try:
        if database_url not in _migrated:
            await database.migrate(["kernel"])
            _migrated.add(database_url)
        yield database
    finally:
        await database.stop()


@pytest.fixture
def postgres_state(db: Database) -> Callable[[str], StateStore]:
    return lambda module: PostgresStateStore(db, module)


@pytest.fixture
async def dapr_state() -> AsyncIterator[Callable[[str], StateStore]]:
    _, stores = components_in(COMPONENTS)
    async with FakeDaprSidecar(pubsubs=(), state_stores=stores) as sidecar:
        settings = dapr_settings(sidecar)
        try:
            yield lambda module: DaprStateStore(settings, module)
        finally:
            await close_shared_clients()


@pytest.fixture(params=["postgres", "dapr"])
def state_factory(request: pytest.FixtureRequest) -> Callable[[str], StateStore]:
    """`runtime.state`'s factory (module name -> that module's store), per adapter."""
    factory: Callable[[str], StateStore] = request.getfixturevalue(f"{request.param}_state")
    return factory

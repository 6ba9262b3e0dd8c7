"""Shared fixtures: a real PostgreSQL per test session and the real app served over TCP.

The database is the server named by `NIJA_TEST_DATABASE_URL` (CI: the machine's PostgreSQL) or,
when unset, an embedded server started for the session. Each session gets its own database;
each test starts from empty tables. The app runs under uvicorn on a loopback port inside the
test's event loop, so tests speak real HTTP/WebSocket and can still reach the runtime to drain
the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from app import create_app
from modules.kernel.embedded_pg import EmbeddedServer
from modules.kernel.logs import JsonFormatter
from modules.kernel.settings import ALL_MODULES, Settings, load_settings

os.environ.setdefault("PICCOLO_CONF", "migrations.piccolo_conf")
MODULE_SCHEMAS = ("kernel", *ALL_MODULES)
TEST_JWT_SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    external = os.environ.get("NIJA_TEST_DATABASE_URL")
    if external:
        yield external
        return
    data_dir = tempfile.mkdtemp(prefix="nija-pg-")
    server = EmbeddedServer(data_dir)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()  # no test session leaves a server running behind it
        shutil.rmtree(data_dir, ignore_errors=True)


def _with_db(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
async def database_url(database_server_url: str) -> AsyncIterator[str]:
    name = f"nija_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(_with_db(database_server_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield _with_db(database_server_url, name)
    admin = await asyncpg.connect(_with_db(database_server_url, "postgres"))
    with contextlib.suppress(asyncpg.PostgresError):
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def truncate_all(url: str) -> None:
    """Empty every module table; a database not yet migrated has none, and is left as it is."""
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'",
            list(MODULE_SCHEMAS),
        )
        if tables:
            names = ", ".join(f'"{t["table_schema"]}"."{t["table_name"]}"' for t in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


DEEP_PAPER_WALLET_USD = 10_000_000


@pytest.fixture
def make_settings(database_url: str, tmp_path: Any) -> Any:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "test",
            "database_url": database_url,
            "data_dir": str(tmp_path / "data"),
            "jwt_secret": TEST_JWT_SECRET,
            "bus_retry_base_seconds": 0.01,
            "bus_retry_max_seconds": 0.05,
            "outbox_poll_seconds": 0.05,
            "market_tick_seconds": 0.2,
            "sim_latency_scale": 0.05,
            "log_json": True,
            # Most tests are about something other than funds and trade whole BTC (~65,000 USD)
            # on the simulated venues: their paper wallets can pay for that. The wallets' own
            # rules, from the 10,000 USD default, are tests/execution/test_paper_wallets.py's.
            "sim_paper_usd": DEEP_PAPER_WALLET_USD,
        }
        values.update(overrides)
        return load_settings(environ={}, **values)

    return build


@dataclass
class RunningApp:
    app: Any
    base_url: str
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/v1/ws"

    async def settle(self, rounds: int = 3) -> None:
        """Publish every outbox row and wait until the bus has delivered everything."""
        for _ in range(rounds):
            for relay in list(self.runtime.relays.values()):
                while await relay.relay_once():
                    pass
            drain = getattr(self.runtime.pubsub, "drain", None)
            if drain is not None:
                await drain()
            # Modules with background queues (execution's venue workers) say when they are idle.
            for module in self.app.state.platform.modules.values():
                idle = getattr(module, "idle", None)
                if idle is not None:
                    await idle()
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[RunningApp]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server exited during start-up")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        try:
            yield RunningApp(app=app, base_url=base_url, client=client)
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def running(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """The whole platform, all modules, embedded adapters, on a loopback port."""
    await truncate_all(database_url)
    async with serve(create_app(make_settings())) as running_app:
        yield running_app


@pytest.fixture
def client(running: RunningApp) -> httpx.AsyncClient:
    return running.client


async def register_and_login(
    client: httpx.AsyncClient, email: str | None = None, password: str = "correct horse battery 9"
) -> dict[str, str]:
    """Register a trader and return its Authorization header."""
    email = email or f"trader-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class LogCapture(logging.Handler):
    """Every record twice: rendered like stderr (redacted) and raw (before any redaction).

    The raw form is the strict check: a secret must never even be handed to a logger.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self._json.format(record))
        self.lines.append(f"{record.getMessage()} {vars(record)!r}")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured_logs(running: RunningApp) -> Iterator[LogCapture]:
    root = logging.getLogger()
    handler = LogCapture()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)

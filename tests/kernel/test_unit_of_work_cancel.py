"""A unit of work cancelled while its COMMIT is in flight still gives its connection back.

Shutdown cancels deliveries wherever they are; one caught waiting for COMMIT's answer used to
keep its pooled connection checked out for good, so the pool's close waited out its 10 s grace.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import asyncpg
import pytest

from modules.kernel.db import Database
from modules.kernel.outbox import UnitOfWork
from tests.kernel.test_outbox_inbox import Sink

SCHEMA = "kernelcancel"
POOL_MAX = 6  # the default NIJA_DB_POOL_MAX the `running` app has


@pytest.fixture
async def db(database_url: str, running: Any) -> AsyncIterator[Database]:
    # A table whose COMMIT takes a while: a deferred trigger sleeps when the commit runs it.
    conn = await asyncpg.connect(database_url)
    await conn.execute(
        f"""
        DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};
        CREATE TABLE {SCHEMA}.outbox (LIKE dashboard.outbox INCLUDING ALL);
        CREATE TABLE {SCHEMA}.slow (n int PRIMARY KEY);
        CREATE FUNCTION {SCHEMA}.linger() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER linger AFTER INSERT ON {SCHEMA}.slow
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.linger();
        """
    )
    await conn.close()
    try:
        yield running.runtime.db
    finally:
        conn = await asyncpg.connect(database_url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await conn.close()


async def test_cancelled_during_commit_the_connection_goes_back_to_the_pool(db: Database) -> None:
    uow = UnitOfWork(db, SCHEMA, "test", Sink())
    backend: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def deliver() -> None:
        async with uow:
            await uow.conn.execute(f"INSERT INTO {SCHEMA}.slow VALUES (1)")
            backend.set_result(uow.conn.get_server_pid())

    task = asyncio.create_task(deliver())
    pid = await backend
    async with db.connection() as probe:
        for _ in range(500):  # until that backend is busy with the COMMIT
            query = await probe.fetchval(
                "SELECT query FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", pid
            )
            if query and query.strip().rstrip(";").upper() == "COMMIT":
                break
            await asyncio.sleep(0.005)
        else:
            pytest.fail("the COMMIT never started")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert uow.conn._con is None, "the connection is still checked out of the pool"


async def test_cancelled_during_begin_the_connection_goes_back_to_the_pool(db: Database) -> None:
    from piccolo.engine.postgres import PostgresTransaction

    began = asyncio.Event()

    class BeginNeverAnswered(PostgresTransaction):
        async def begin(self) -> None:
            await super().begin()
            began.set()
            await asyncio.Event().wait()  # still waiting for BEGIN's answer when cancelled

    class Engine:  # the real engine and pool, with the slow transaction above
        pool = db.engine.pool

        def transaction(self, allow_nested: bool) -> PostgresTransaction:
            return BeginNeverAnswered(engine=db.engine, allow_nested=allow_nested)

    database: Any = SimpleNamespace(
        engine=Engine(), enter_lane=db.enter_lane, leave_lane=db.leave_lane
    )
    uow = UnitOfWork(database, SCHEMA, "test", Sink())
    task = asyncio.create_task(uow.__aenter__())
    await began.wait()
    connection = uow._txn.connection
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert connection._con is None, "the connection is still checked out of the pool"
    # Its turn among the background's connections came back too: all of them can be taken.
    turns = [await asyncio.wait_for(db.enter_lane(), 5) for _ in range(POOL_MAX)]
    for turn in turns:
        db.leave_lane(turn)

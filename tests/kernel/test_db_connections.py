"""A pooled connection costs the order path no type questions and no JIT compilation."""

from __future__ import annotations

from modules.kernel.db import Database
from modules.kernel.statements import DRIVER, StatementTally


async def test_binding_the_modules_array_types_asks_the_server_nothing(
    database_url: str, tmp_path: object
) -> None:
    tally = StatementTally()
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=1, tally=tally)
    await database.start()
    try:
        async with database.connection() as conn:
            await conn.fetch(
                "SELECT * FROM unnest($1::uuid[], $2::numeric[], $3::timestamptz[], $4::int[],"
                " $5::bigint[], $6::date[], $7::bytea[], $8::bool[])",
                [],
                [],
                [],
                [],
                [],
                [],
                [],
                [],
            )
    finally:
        await database.stop()
    statements, _ = tally.snapshot()
    assert statements[DRIVER] == 0, statements
    assert statements["other"] == 1


async def test_pooled_connections_never_jit_compile(database_url: str, tmp_path: object) -> None:
    """A long history can lift a short statement's estimate over JIT's threshold, and each
    execution would then spend tens of milliseconds compiling it."""
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=1)
    await database.start()
    try:
        async with database.connection() as conn:
            assert await conn.fetchval("SHOW jit") == "off"
    finally:
        await database.stop()


async def test_pooled_connections_plan_a_prepared_statement_once(
    database_url: str, tmp_path: object
) -> None:
    """PostgreSQL plans a prepared statement afresh for its first five calls, and for good
    when a plan that knows the parameters looks cheaper than the generic one, as it always
    does for a batch's arrays: the order path's batch statements were planned at every call
    (0.4 ms each for some, about a tenth of the server's CPU per order in the open loop)."""
    database = Database(database_url, str(tmp_path), pool_min=1, pool_max=1)
    await database.start()
    batch = "SELECT count(*) FROM unnest($1::text[]) AS u(id) WHERE id LIKE 'a%'"
    try:
        async with database.connection() as conn:
            for size in range(1, 11):
                await conn.fetchval(batch, [f"a{n}" for n in range(size)])
            plans = await conn.fetchrow(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement = $1",
                batch,
            )
    finally:
        await database.stop()
    assert plans is not None
    assert (plans["custom_plans"], plans["generic_plans"]) == (0, 10)

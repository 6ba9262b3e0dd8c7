"""The plan a prepared statement settles on, over a history that is then rolled back.

A prepared statement is soon planned once for any parameters (a generic plan). With a long
history, a plan that bounds a per-order read only by a filter reads every row ever written, so
tests of history-independent cost ask for the generic plan directly.
"""

from __future__ import annotations

from typing import Any


async def generic_plan(
    running: Any, history: str, table: str, sql: str, arguments: str, *, analyse: bool = True
) -> str:
    """EXPLAIN of `sql`'s generic plan, over `history` written (and analysed, unless a young
    database's missing statistics are the point) in a transaction that is then rolled back."""
    async with running.runtime.db.connection() as conn:
        transaction = conn.transaction()
        await transaction.start()
        prepared = False
        try:
            if not analyse:
                # Never analysed, as in a fresh deployment's first seconds. Autovacuum may have
                # analysed the table while a test before left it empty (a plan then believes it
                # holds a few rows): undone with the rest of the transaction.
                await conn.execute(
                    f"UPDATE pg_class SET reltuples = -1, relpages = 0 "
                    f"WHERE oid = '{table}'::regclass"
                )
                await conn.execute(f"DELETE FROM pg_statistic WHERE starelid = '{table}'::regclass")
            await conn.execute(history)
            if analyse:
                await conn.execute(f"ANALYZE {table}")
            await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await conn.execute(f"PREPARE nija_plan_probe AS {sql}")
            prepared = True
            rows = await conn.fetch(f"EXPLAIN EXECUTE nija_plan_probe{arguments}")
        finally:
            await transaction.rollback()
            if prepared:  # a prepared statement outlives the transaction
                await conn.execute("DEALLOCATE nija_plan_probe")
    return "\n".join(row[0] for row in rows)

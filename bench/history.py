"""Grow a platform's database to a long history, for the "cost independent of history" check.

After a bench has placed real orders, every module table that holds rows is copied onto itself
until the order table holds `target` rows: each copy rewrites the columns of the table's unique
indexes (new uuids, suffixed texts, earlier dates and times) so the copies are new rows of the
same users, and moves every timestamp into the past, so today's figures stay today's. Foreign keys
are not checked while copying (`session_replication_role = replica`): the copies are history, the
same shape and size as real history, for the indexes and per-user queries to wade through.
"""

from __future__ import annotations

import math
import time

import asyncpg

SCHEMAS = ("identity", "vault", "routing", "execution", "dashboard", "strategy")
# The columns a copy keeps as they are, even in a unique index: they say whose and where.
_KEEP = {"user_id", "venue", "symbol", "credential_id", "asset", "handler", "account", "kind"}
# Tables of one row per user or per key (settings, heads, wallets, counters, queue turns):
# copying them would only make duplicates of state, not history.
_COPY_SUFFIXES = (
    "orders", "fills", "trades", "attempts", "decisions", "outbox", "inbox", "events",
    "activity", "savings", "routes", "log", "positions", "notifications", "daily",
    "pending_events", "intent_orders", "signals",
)  # fmt: skip

_COLUMNS = """
SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval%' AS serial
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_UNIQUE = """
SELECT array_agg(a.attname ORDER BY a.attnum) AS columns
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = $1::regclass AND i.indisunique
GROUP BY i.indexrelid
"""


def _fresh(column: str, kind: str) -> str:
    """An expression giving copy `g` of a unique column a value no other row has."""
    if kind == "uuid":
        return "gen_random_uuid()"
    if kind.startswith(("character varying", "text", "character(")):
        limit = kind[kind.find("(") + 1 : kind.find(")")] if "(" in kind else ""
        value = f"md5(random()::text || g::text || {column}::text)"
        return f"left({value}, {limit})" if limit else value
    if kind == "date":
        return f"{column} - g"
    if kind.startswith("timestamp"):
        return f"{column} - make_interval(days => g)"
    if kind in ("integer", "bigint", "smallint"):
        return f"{column} + g * 1000000"
    return column


def _moved(column: str, kind: str) -> str:
    """Every other time goes back with its row, so the copies are in the past."""
    if kind.startswith("timestamp"):
        return f"{column} - make_interval(days => g)"
    if kind == "date":
        return f"{column} - g"
    return column


async def _copy_sql(conn: asyncpg.Connection, table: str) -> str | None:
    columns = await conn.fetch(_COLUMNS, table)
    unique = [list(row["columns"]) for row in await conn.fetch(_UNIQUE, table)]
    rewrite: set[str] = set()
    for index in unique:
        if rewrite.intersection(index):
            continue
        candidates = [c for c in index if c not in _KEEP] or index
        rewrite.add(candidates[0])
    names, values = [], []
    for column in columns:
        name, kind = column["name"], column["type"]
        if column["serial"]:
            continue  # its default numbers the copy
        quoted = f'"{name}"'
        names.append(quoted)
        values.append(_fresh(quoted, kind) if name in rewrite else _moved(quoted, kind))
    if not names:
        return None
    return (
        f"INSERT INTO {table} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM {table} CROSS JOIN generate_series(1, $1) AS g "
        "ON CONFLICT DO NOTHING"
    )


async def grow(database_url: str, target_orders: int, orders_table: str = "routing.orders") -> str:
    """Copy the history until `orders_table` holds about `target_orders` rows; returns a line
    saying what was added and how long it took."""
    started = time.monotonic()
    conn = await asyncpg.connect(database_url)
    try:
        have = int(await conn.fetchval(f"SELECT count(*) FROM {orders_table}"))
        if have == 0 or have >= target_orders:
            return f"history: {have} orders, nothing to add"
        copies = math.ceil(target_orders / have) - 1
        tables = [
            f"{row['schemaname']}.{row['relname']}"
            for row in await conn.fetch(
                "SELECT schemaname, relname FROM pg_stat_user_tables "
                "WHERE schemaname = ANY($1::text[]) AND n_live_tup > 0",
                list(SCHEMAS),
            )
            if row["relname"].endswith(_COPY_SUFFIXES)
        ]
        await conn.execute("SET session_replication_role = replica")
        added = 0
        for table in tables:
            sql = await _copy_sql(conn, table)
            if sql is not None:
                status = await conn.execute(sql, copies)
                added += int(status.split()[-1])
        # As a long-lived database would be: vacuumed since the rows arrived, so the figure is
        # the history's cost, not autovacuum's catching up with 38 million fresh rows; and
        # checkpointed, or the next run's commits queue behind the writing out of gigabytes of
        # fresh pages (a run after the copy once saw commits of 130 ms and a p99 of 498 ms).
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute("CHECKPOINT")
        total = int(await conn.fetchval(f"SELECT count(*) FROM {orders_table}"))
    finally:
        await conn.close()
    return (
        f"history: {total:,} orders in {orders_table} ({added:,} rows added to "
        f"{len(tables)} tables in {time.monotonic() - started:.0f} s)"
    )

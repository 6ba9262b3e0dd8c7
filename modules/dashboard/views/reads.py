"""Reads whose numbers come out as written: asyncpg reads a numeric such as 10000 as
`Decimal('1E+4')`, the same number, which would reach clients as the string "1E+4"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

_ONE = Decimal(1)


def plain(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    return value.quantize(_ONE) if isinstance(exponent, int) and exponent > 0 else value


def _plain_row(record: Any) -> dict[str, Any]:
    return {k: plain(v) if isinstance(v, Decimal) else v for k, v in record.items()}


async def fetch_all(conn: asyncpg.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    return [_plain_row(record) for record in await conn.fetch(sql, *args)]


async def fetch_one(conn: asyncpg.Connection, sql: str, *args: Any) -> dict[str, Any] | None:
    record = await conn.fetchrow(sql, *args)
    return None if record is None else _plain_row(record)


async def fetch_totals(conn: asyncpg.Connection, sql: str, *args: Any) -> dict[str, Any]:
    """An aggregate's one row (an aggregate without GROUP BY always has one)."""
    record = await fetch_one(conn, sql, *args)
    assert record is not None
    return record

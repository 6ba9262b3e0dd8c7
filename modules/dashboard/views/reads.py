"""Reads, and numbers written as they read: asyncpg reads a numeric such as 10000 as
`Decimal('1E+4')`, the same number, which would reach clients as the string "1E+4". The shapes
sent out pass each decimal through `plain` (only those: converting whole rows costs more than
the query)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

_ONE = Decimal(1)


def plain(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    return value.quantize(_ONE) if isinstance(exponent, int) and exponent > 0 else value


def plain_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else plain(value)


async def fetch_all(conn: asyncpg.Connection, sql: str, *args: Any) -> list[Any]:
    return list(await conn.fetch(sql, *args))


async def fetch_one(conn: asyncpg.Connection, sql: str, *args: Any) -> Any | None:
    return await conn.fetchrow(sql, *args)


async def fetch_totals(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    """An aggregate's one row (an aggregate without GROUP BY always has one)."""
    record = await conn.fetchrow(sql, *args)
    assert record is not None
    return record

"""Writes of `dashboard.trades`: each fill's two halves, and what the cycle fold says of it.

A fill arrives as execution's `OrderFilled` (price, quantity, fee) and as its `PositionChanged`
(the position after it), in either order; each half is written once, the first time it
arrives, so a redelivery never counts it twice. A batch is one statement per half.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.positions import Step

_KEY = ("user_id", "venue", "symbol", "fill_id")


class FillHalf(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    venue: str
    symbol: str
    fill_id: str
    order_id: str
    side: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    fee_quote: Decimal | None
    liquidity: str
    executed_at: datetime


class StepHalf(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    venue: str
    symbol: str
    fill_id: str
    position_id: str
    version: int
    position_quantity: Decimal
    average_entry: Decimal
    realised_total: Decimal
    fees_total: Decimal
    realised_delta: Decimal
    step_at: datetime


class TradeRow(msgspec.Struct, frozen=True, kw_only=True):
    """A `trades` row as the fold and the pushes see it (halves not yet seen are null)."""

    id: int
    user_id: str
    venue: str
    symbol: str
    fill_id: str
    order_id: str | None
    side: str | None
    price: Decimal | None
    quantity: Decimal | None
    fee: Decimal | None
    fee_currency: str | None
    fee_quote: Decimal | None
    liquidity: str | None
    executed_at: datetime | None
    position_id: str | None
    version: int | None
    position_quantity: Decimal | None
    average_entry: Decimal | None
    realised_total: Decimal | None
    fees_total: Decimal | None
    realised_delta: Decimal | None
    step_at: datetime | None
    closes: bool
    closed_cycle: int | None
    cycle_pnl: Decimal | None
    cycle_pnl_pct: Decimal | None
    revision: int


_TYPES = {
    "order_id": "text",
    "side": "text",
    "price": "numeric",
    "quantity": "numeric",
    "fee": "numeric",
    "fee_currency": "text",
    "fee_quote": "numeric",
    "liquidity": "text",
    "executed_at": "timestamptz",
    "position_id": "text",
    "version": "int",
    "position_quantity": "numeric",
    "average_entry": "numeric",
    "realised_total": "numeric",
    "fees_total": "numeric",
    "realised_delta": "numeric",
    "step_at": "timestamptz",
}


def _upsert_sql(half: type[msgspec.Struct], first_column: str) -> str:
    """Insert a batch of one half; on a row that has the other half, fill this one in only if
    it is missing (`first_column` is null), so a half is written once. Column names come from
    the half's own fields, never from input."""
    own = [f for f in half.__struct_fields__ if f not in _KEY]
    columns = [*_KEY, *own]
    types = ["text"] * len(_KEY) + [_TYPES[c] for c in own]
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in own)
    return (
        f"INSERT INTO dashboard.trades ({', '.join(columns)}) "  # noqa: S608
        f"SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (user_id, venue, symbol, fill_id) DO UPDATE SET "
        f"{updates}, revision = trades.revision + 1 WHERE trades.{first_column} IS NULL "
        "RETURNING *"
    )


_ADD_FILLS = _upsert_sql(FillHalf, "executed_at")
_ADD_STEPS = _upsert_sql(StepHalf, "step_at")
# Each position's steps read through its own index range (the LATERAL's ORDER BY keeps it from
# being flattened into a join): joined to the batch as a whole, the planner read every trade
# when a young table's statistics made the table look small (14 ms at 12,000 trades).
_STEPS_SINCE = """
SELECT s.position_id, t.version, t.position_quantity AS quantity, t.average_entry,
       t.realised_total, t.fees_total, t.realised_delta, t.step_at AS at
  FROM unnest($1::text[], $2::int[]) AS s(position_id, since)
 CROSS JOIN LATERAL (
       SELECT t.version, t.position_quantity, t.average_entry, t.realised_total, t.fees_total,
              t.realised_delta, t.step_at
         FROM dashboard.trades t
        WHERE t.position_id = s.position_id AND t.version >= s.since
        ORDER BY t.version) t
 ORDER BY s.position_id, t.version
"""


def _columns(halves: list[Any]) -> list[list[Any]]:
    fields = halves[0].__struct_fields__
    key = [*_KEY, *(f for f in fields if f not in _KEY)]
    return [[getattr(h, name) for h in halves] for name in key]


def _unique(halves: list[Any]) -> list[Any]:
    """One per fill, in key order (so concurrent batches lock rows in the same order)."""
    by_key = {tuple(getattr(h, k) for k in _KEY): h for h in halves}
    return [by_key[k] for k in sorted(by_key)]


class Close(msgspec.Struct, frozen=True):
    """What the fill that closed a position says of it: which cycle, and its P&L."""

    cycle: int
    pnl: Decimal
    pnl_pct: Decimal | None


def trade_row(row: Any) -> TradeRow:
    return msgspec.convert(dict(row), TradeRow)


class TradeRepository:
    async def add_fills(self, conn: asyncpg.Connection, fills: list[FillHalf]) -> list[TradeRow]:
        """Write fills; the rows whose fill half this wrote (not the ones already known)."""
        if not fills:
            return []
        rows = await conn.fetch(_ADD_FILLS, *_columns(_unique(fills)))
        return [trade_row(row) for row in rows]

    async def add_steps(self, conn: asyncpg.Connection, steps: list[StepHalf]) -> list[TradeRow]:
        if not steps:
            return []
        rows = await conn.fetch(_ADD_STEPS, *_columns(_unique(steps)))
        return [trade_row(row) for row in rows]

    async def steps(self, conn: asyncpg.Connection, since: dict[str, int]) -> dict[str, list[Step]]:
        """Each position's steps from its version `since` on, in version order."""
        rows = await conn.fetch(_STEPS_SINCE, list(since), list(since.values()))
        found: dict[str, list[Step]] = {position_id: [] for position_id in since}
        for row in rows:
            values = dict(row)
            found[values.pop("position_id")].append(msgspec.convert(values, Step))
        return found

    async def mark_closes(
        self,
        conn: asyncpg.Connection,
        position_id: str,
        since: int,
        closes: dict[int, Close],
        *,
        refolded: bool,
    ) -> list[TradeRow]:
        """Mark which of the position's fills from `since` on closed a position, with that
        position's cycle and P&L; the rows that changed. Marks from an earlier fold are taken
        off only when it was `refolded` (a fold that carries on has none after `since`)."""
        versions = sorted(closes)
        cleared = []
        if refolded:
            cleared = await conn.fetch(
                "UPDATE dashboard.trades SET closes = false, closed_cycle = NULL, "
                "cycle_pnl = NULL, cycle_pnl_pct = NULL, revision = revision + 1 "
                "WHERE position_id = $1 AND version >= $2 AND closes "
                "AND NOT (version = ANY($3::int[])) RETURNING *",
                position_id,
                since,
                versions,
            )
        if not versions:
            return [trade_row(row) for row in cleared]
        marked = await conn.fetch(
            "UPDATE dashboard.trades t SET closes = true, closed_cycle = u.cycle, "
            "cycle_pnl = u.pnl, cycle_pnl_pct = u.pct, revision = t.revision + 1 "
            "FROM unnest($2::int[], $3::int[], $4::numeric[], $5::numeric[]) "
            "AS u(version, cycle, pnl, pct) WHERE t.position_id = $1 AND t.version = u.version "
            "AND (NOT t.closes OR t.closed_cycle IS DISTINCT FROM u.cycle "
            "OR t.cycle_pnl IS DISTINCT FROM u.pnl OR t.cycle_pnl_pct IS DISTINCT FROM u.pct) "
            "RETURNING t.*",
            position_id,
            versions,
            [closes[v].cycle for v in versions],
            [closes[v].pnl for v in versions],
            [closes[v].pnl_pct for v in versions],
        )
        return [trade_row(row) for row in [*cleared, *marked]]

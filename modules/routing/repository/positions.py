"""Routing's read copy of execution's positions, and realised P&L per user and UTC day.

Execution owns positions (it folds every fill); routing keeps from `PositionChanged` only what
its risk gate and a close need: each position's quantity under execution's id, and the sum of
what fills realised per day.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.kernel.db import Database

# One statement for a batch's changes: each copy moves only to the newest version the batch
# brings, and only if newer than the one held (events may arrive out of order); each day's
# realised P&L takes every event's delta once (the inbox dedupes redeliveries); and each user's
# view version moves on once (repository/user_views.py), returned. Rows are taken in key order
# (positions by id, days and versions by user), as every fold takes them.
# A data-modifying CTE runs whether or not the outer statement reads it.
_APPLY_CHANGES = """
WITH change AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[],
                         $6::int[], $7::timestamptz[], $8::date[], $9::numeric[])
           AS c(id, user_id, venue, symbol, quantity, version, at, day, realised_delta)
), copy AS (
    INSERT INTO routing.positions AS p
           (id, user_id, venue, symbol, quantity, version, updated_at)
    SELECT DISTINCT ON (id) id, user_id, venue, symbol, quantity, version, at
      FROM change ORDER BY id, version DESC
    ON CONFLICT (id) DO UPDATE
       SET quantity = EXCLUDED.quantity, version = EXCLUDED.version,
           updated_at = EXCLUDED.updated_at
     WHERE p.version < EXCLUDED.version
), pnl AS (
    INSERT INTO routing.daily_pnl AS d (user_id, day, realised)
    SELECT user_id, day, sum(realised_delta) FROM change WHERE realised_delta <> 0
     GROUP BY user_id, day ORDER BY user_id, day
    ON CONFLICT (user_id, day) DO UPDATE SET realised = d.realised + EXCLUDED.realised
)
INSERT INTO routing.view_versions AS v (user_id, version)
SELECT DISTINCT user_id, 1 FROM change ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1
RETURNING user_id, version
"""


# Served by the partial index `orders_open_exits`: only unfinished exits are ever in it. Any
# venue counts (a large close is a TWAP or split parent, whose `venue` names the plan): when in
# doubt a close sells less, never more.
_CLOSING = """
SELECT COALESCE(sum(quantity - filled_quantity), 0) FROM routing.orders
 WHERE user_id = $1 AND symbol = $2 AND signal IN ('exit', 'kill_switch')
   AND parent_order_id IS NULL AND status NOT IN ('filled', 'rejected', 'expired', 'cancelled')
"""


class PositionChange(msgspec.Struct, frozen=True, kw_only=True):
    position_id: str
    user_id: str
    venue: str
    symbol: str
    quantity: Decimal
    version: int
    at: datetime
    day: date  # the UTC day the fill's realised P&L counts for
    realised_delta: Decimal


class PositionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply_changes(
        self, conn: asyncpg.Connection, changes: list[PositionChange]
    ) -> dict[str, int]:
        """Fold the changes; each user's view version they committed at."""
        columns = (
            "position_id",
            "user_id",
            "venue",
            "symbol",
            "quantity",
            "version",
            "at",
            "day",
            "realised_delta",
        )
        rows = await conn.fetch(
            _APPLY_CHANGES, *([getattr(c, name) for c in changes] for name in columns)
        )
        return {row["user_id"]: row["version"] for row in rows}

    async def position(self, user_id: str, position_id: str) -> dict[str, Any] | None:
        """The user's position by execution's id (None for another user's)."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT id, venue, symbol, quantity, version FROM routing.positions "
                "WHERE id = $1 AND user_id = $2",
                position_id,
                user_id,
            )
        return None if row is None else dict(row)

    async def open_positions(self, user_id: str) -> list[str]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT id FROM routing.positions WHERE user_id = $1 AND quantity <> 0 ORDER BY id",
                user_id,
            )
        return [row["id"] for row in rows]

    async def users_with_exposure(self) -> list[str]:
        """Users holding a position or with an order still working: what a global halt with
        close-all has to unwind."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT user_id FROM routing.positions WHERE quantity <> 0 UNION "
                "SELECT user_id FROM routing.orders WHERE parent_order_id IS NULL "
                "AND status IN ('routed', 'working', 'accepted', 'partially_filled') "
                "ORDER BY user_id"
            )
        return [row["user_id"] for row in rows]

    async def closing_quantity(self, user_id: str, symbol: str) -> Decimal:
        """What the user's closes still in flight will trade of `symbol`."""
        async with self._db.connection() as conn:
            closing: Decimal = await conn.fetchval(_CLOSING, user_id, symbol)
        return closing

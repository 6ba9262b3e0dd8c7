"""Net positions, one row per user, venue and symbol, folded from fills under a row lock (taken
by the statement that records the fills: repository/orders.py)."""

from __future__ import annotations

import asyncpg
import msgspec

from modules.execution.domain.positions import PositionState
from modules.kernel.outbox import OutboxInsert

_SAVE_POSITION = """
INSERT INTO execution.positions AS p
       (position_id, user_id, venue, symbol, quantity, average_entry, realised_pnl, fees,
        version, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (position_id) DO UPDATE
   SET user_id = EXCLUDED.user_id, venue = EXCLUDED.venue, symbol = EXCLUDED.symbol,
       quantity = EXCLUDED.quantity, average_entry = EXCLUDED.average_entry,
       realised_pnl = EXCLUDED.realised_pnl, fees = EXCLUDED.fees, version = EXCLUDED.version,
       updated_at = now()
"""
# With the events that report the fills, in the same round trip.
_SAVE_POSITION_AND_OUTBOX = (
    f"WITH saved AS ({_SAVE_POSITION}), outbox AS ({{insert}}) SELECT id FROM outbox"  # noqa: S608
)


class PositionRow(msgspec.Struct, frozen=True, kw_only=True):
    position_id: str
    user_id: str
    venue: str
    symbol: str
    state: PositionState


class PositionRepository:
    async def save(
        self, conn: asyncpg.Connection, position: PositionRow, outbox: OutboxInsert | None
    ) -> list[int]:
        """Save the position, and write `outbox`'s rows with it; their ids."""
        state = position.state
        row = (
            position.position_id,
            position.user_id,
            position.venue,
            position.symbol,
            state.quantity,
            state.average_entry,
            state.realised_pnl,
            state.fees,
            state.version,
        )
        if outbox is None:
            await conn.execute(_SAVE_POSITION, *row)
            return []
        statement = _SAVE_POSITION_AND_OUTBOX.format(insert=outbox.sql(first=len(row) + 1))
        return [record["id"] for record in await conn.fetch(statement, *row, *outbox.args)]

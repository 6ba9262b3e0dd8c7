"""Net positions, one row per user, venue and symbol, folded from fills under a row lock (taken
by the statement that records the fills: repository/orders.py)."""

from __future__ import annotations

import asyncpg
import msgspec

from modules.execution.domain.positions import PositionState

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


class PositionRow(msgspec.Struct, frozen=True, kw_only=True):
    position_id: str
    user_id: str
    venue: str
    symbol: str
    state: PositionState


class PositionRepository:
    async def save(self, conn: asyncpg.Connection, position: PositionRow) -> None:
        state = position.state
        await conn.execute(
            _SAVE_POSITION,
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

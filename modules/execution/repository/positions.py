"""Net positions, one row per user, venue and symbol, folded from fills under a row lock."""

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
    async def lock(self, conn: asyncpg.Connection, position_id: str) -> PositionState:
        """The position, locked until the transaction ends: concurrent fills into one position
        are serialised. One statement: a new position is inserted empty, an existing one is
        touched by the no-op update, which locks it and returns it as it is."""
        row = await conn.fetchrow(
            "INSERT INTO execution.positions (position_id, user_id, venue, symbol, quantity, "
            "average_entry, realised_pnl, fees, updated_at) "
            "VALUES ($1, '', '', '', 0, 0, 0, 0, now()) "
            "ON CONFLICT (position_id) DO UPDATE SET position_id = EXCLUDED.position_id "
            "RETURNING quantity, average_entry, realised_pnl, fees, version",
            position_id,
        )
        return PositionState(
            quantity=row["quantity"],
            average_entry=row["average_entry"],
            realised_pnl=row["realised_pnl"],
            fees=row["fees"],
            version=row["version"],
        )

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

"""Positions and realised P&L per day, as routing folds them from fills.

Routing folds fills into positions itself (domain/positions.py) because the risk gate needs
realised P&L per day; from execution it only learns the id users see for a position.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from modules.routing.domain.positions import PositionState
from modules.routing.tables import Position


class PositionRepository:
    async def lock_position(
        self, conn: asyncpg.Connection, user_id: str, venue: str, symbol: str, at: datetime
    ) -> dict[str, Any]:
        await conn.execute(
            "INSERT INTO routing.positions (id, user_id, venue, symbol, quantity, average_price, "
            "realized_pnl, fees, opened_at, updated_at) "
            "VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $5) "
            "ON CONFLICT (user_id, venue, symbol) DO NOTHING",
            uuid.uuid4(),
            user_id,
            venue,
            symbol,
            at,
        )
        row = await conn.fetchrow(
            "SELECT id, quantity, average_price, realized_pnl, fees FROM routing.positions "
            "WHERE user_id = $1 AND venue = $2 AND symbol = $3 FOR UPDATE",
            user_id,
            venue,
            symbol,
        )
        return dict(row)

    async def save_position(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        state: PositionState,
        opened: bool,
        at: datetime,
    ) -> None:
        await conn.execute(
            "UPDATE routing.positions SET quantity = $2, average_price = $3, realized_pnl = $4, "
            "fees = $5, updated_at = $6, opened_at = CASE WHEN $7 THEN $6 ELSE opened_at END "
            "WHERE id = $1",
            position_id,
            state.quantity,
            state.average_price,
            state.realized_pnl,
            state.fees,
            at,
            opened,
        )

    async def add_daily_pnl(
        self, conn: asyncpg.Connection, user_id: str, day: date, amount: Decimal
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.daily_pnl AS d (user_id, day, realized) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id, day) DO UPDATE SET realized = d.realized + EXCLUDED.realized",
            user_id,
            day,
            amount,
        )

    async def position(self, user_id: str, position_id: uuid.UUID) -> dict[str, Any] | None:
        """The user's position by routing's id or by execution's id for it."""
        row: dict[str, Any] | None = (
            await Position.select()
            .where(
                (Position.user_id == user_id)
                & (
                    (Position.id == position_id)
                    | (Position.execution_position_id == str(position_id))
                )
            )
            .first()
        )
        return row

    async def link_position(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        venue: str,
        symbol: str,
        external: str,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.positions (id, user_id, venue, symbol, quantity, average_price, "
            "realized_pnl, fees, opened_at, updated_at, execution_position_id) "
            "VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $5, $6) "
            "ON CONFLICT (user_id, venue, symbol) DO UPDATE "
            "SET execution_position_id = EXCLUDED.execution_position_id",
            uuid.uuid4(),
            user_id,
            venue,
            symbol,
            at,
            external,
        )

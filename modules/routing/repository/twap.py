"""TWAP plans: stored with their parent order, advanced slice by slice.

Plans live in the database so a restart resumes them. Every advance of a plan (a slice sent,
a retry, a cancellation) also rolls the parent order up, since the parent is done only once
no child is open and its plan is no longer active.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from modules.routing.repository.orders import ROLL_UP_PARENT


class TwapRepository:
    async def insert_twap(
        self,
        conn: asyncpg.Connection,
        parent_id: uuid.UUID,
        user_id: str,
        slices: int,
        slice_quantity: Decimal,
        total: Decimal,
        interval: float,
        start: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.twap_plans (parent_order_id, user_id, slices_total, "
            "slices_sent, slice_quantity, quantity_total, interval_seconds, next_at, status) "
            "VALUES ($1, $2, $3, 0, $4, $5, $6, $7, 'active')",
            parent_id,
            user_id,
            slices,
            slice_quantity,
            total,
            interval,
            start,
        )

    async def due_twap(self, conn: asyncpg.Connection, now: datetime) -> list[dict[str, Any]]:
        """Due plans, locked; another replica skips them rather than sending a slice twice."""
        rows = await conn.fetch(
            "SELECT t.*, o.symbol, o.side, o.order_type, o.limit_price, o.signal, o.priority, "
            "o.source FROM routing.twap_plans t JOIN routing.orders o ON o.id = t.parent_order_id "
            "WHERE t.status = 'active' AND t.next_at <= $1 ORDER BY t.next_at LIMIT 20 "
            "FOR UPDATE OF t SKIP LOCKED",
            now,
        )
        return [dict(row) for row in rows]

    async def advance_twap(
        self,
        conn: asyncpg.Connection,
        parent_id: uuid.UUID,
        sent: int,
        status: str,
        next_at: datetime,
        error: str | None,
    ) -> None:
        await conn.execute(
            "UPDATE routing.twap_plans SET slices_sent = $2, status = $3, next_at = $4, "
            "last_error = $5 WHERE parent_order_id = $1",
            parent_id,
            sent,
            status,
            next_at,
            error,
        )
        await conn.execute(ROLL_UP_PARENT, parent_id)

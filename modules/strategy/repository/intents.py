"""The bot's intents: each order it asked routing for, and how that order ended for it."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec


class NewIntent(msgspec.Struct, frozen=True, kw_only=True):
    intent_id: uuid.UUID
    user_id: str
    position_id: uuid.UUID
    kind: str  # entry, exit, stop_loss, profit_take
    side: str
    quantity: Decimal


# An intent is in flight until one of these (a full fill, or an end that filled what it did).
FINAL = ("filled", "refused", "rejected", "expired")


class IntentRepository:
    async def insert(self, conn: asyncpg.Connection, intent: NewIntent, at: datetime) -> bool:
        """False when this intent was already recorded (its id is deterministic)."""
        status = await conn.execute(
            "INSERT INTO strategy.intents (intent_id, user_id, position_id, kind, side, "
            "quantity, status, filled_quantity, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'submitted', 0, $7, $7) ON CONFLICT DO NOTHING",
            intent.intent_id,
            intent.user_id,
            intent.position_id,
            intent.kind,
            intent.side,
            intent.quantity,
            at,
        )
        return bool(status.endswith(" 1"))

    async def intent(self, conn: asyncpg.Connection, intent_id: uuid.UUID) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            "SELECT intent_id, user_id, position_id, kind, side, quantity, status, "
            "filled_quantity FROM strategy.intents WHERE intent_id = $1 FOR UPDATE",
            intent_id,
        )
        return None if row is None else dict(row)

    async def filled(
        self,
        conn: asyncpg.Connection,
        intent_id: uuid.UUID,
        filled: Decimal,
        average_price: Decimal,
        complete: bool,
        at: datetime,
    ) -> None:
        """Fills come cumulative: the largest filled quantity seen is the truth."""
        await conn.execute(
            "UPDATE strategy.intents SET filled_quantity = GREATEST(filled_quantity, $2), "
            "average_price = $3, updated_at = $5, status = CASE WHEN $4 THEN 'filled' "
            "WHEN status = 'submitted' THEN 'partially_filled' ELSE status END "
            "WHERE intent_id = $1",
            intent_id,
            filled,
            average_price,
            complete,
            at,
        )

    async def ended(
        self,
        conn: asyncpg.Connection,
        intent_id: uuid.UUID,
        status: str,
        code: str | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        await conn.execute(
            "UPDATE strategy.intents SET status = $2, code = $3, reason = $4, updated_at = $5 "
            "WHERE intent_id = $1 AND status NOT IN ('filled', 'refused', 'rejected', 'expired')",
            intent_id,
            status,
            code,
            reason,
            at,
        )

    async def exited(self, conn: asyncpg.Connection, position_id: uuid.UUID) -> Decimal:
        """What the position's exits have sold so far."""
        total = await conn.fetchval(
            "SELECT COALESCE(SUM(filled_quantity), 0) FROM strategy.intents "
            "WHERE position_id = $1 AND kind <> 'entry'",
            position_id,
        )
        return Decimal(total)

"""The bot's intents: each order it asked routing for, and how that order ended for it.

An intent's figures are those of the orders that carry it (repository/intent_orders.py): its
own id, re-route attempts, split and TWAP children; `filled_quantity` is what they all filled.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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
    venue: str  # where routing is to send it (not stored: its orders say where they went)


# An intent is in flight until one of these (a full fill, or an end that filled what it did).
FINAL = ("filled", "refused", "rejected", "expired")
IN_FLIGHT = ("submitted", "partially_filled")

# Rows go in as one JSON document (see repository/positions.py).
_INSERT = """
INSERT INTO strategy.intents (intent_id, user_id, position_id, kind, side, quantity, status,
       filled_quantity, created_at, updated_at)
SELECT i.intent_id, i.user_id, i.position_id, i.kind, i.side, i.quantity, 'submitted', 0, $2, $2
  FROM json_to_recordset($1::json) AS i(intent_id uuid, user_id text, position_id uuid,
       kind text, side text, quantity numeric)
ON CONFLICT DO NOTHING RETURNING intent_id
"""
_encode = msgspec.json.Encoder().encode


class IntentRepository:
    async def insert_many(
        self, conn: asyncpg.Connection, intents: Sequence[NewIntent], at: datetime
    ) -> set[uuid.UUID]:
        """The ids recorded now (not those already stored: their ids are deterministic)."""
        if not intents:
            return set()
        rows = await conn.fetch(_INSERT, _encode(intents).decode(), at)
        return {r["intent_id"] for r in rows}

    async def intent(self, conn: asyncpg.Connection, intent_id: uuid.UUID) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            "SELECT intent_id, user_id, position_id, kind, side, quantity, status, "
            "filled_quantity FROM strategy.intents WHERE intent_id = $1 FOR UPDATE",
            intent_id,
        )
        return None if row is None else dict(row)

    async def lately_active(self, conn: asyncpg.Connection, user_id: str, since: datetime) -> bool:
        """Whether the user has an intent in flight, or one that changed since `since` (an
        ended intent routing may still send on, under another order's id)."""
        found = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM strategy.intents WHERE user_id = $1 "
            "AND (status IN ('submitted', 'partially_filled') OR updated_at > $2))",
            user_id,
            since,
        )
        return bool(found)

    async def settle(
        self,
        conn: asyncpg.Connection,
        intent_id: uuid.UUID,
        *,
        status: str,
        filled: Decimal,
        average_price: Decimal | None,
        code: str | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        """The intent as its orders now stand (a refusal by routing stays final)."""
        await conn.execute(
            "UPDATE strategy.intents SET status = $2, filled_quantity = GREATEST(filled_quantity, "
            "$3), average_price = COALESCE($4, average_price), code = $5, reason = $6, "
            "updated_at = $7 WHERE intent_id = $1 AND status <> 'refused'",
            intent_id,
            status,
            filled,
            average_price,
            code,
            reason,
            at,
        )

    async def refused(
        self, conn: asyncpg.Connection, intent_id: uuid.UUID, code: str, reason: str, at: datetime
    ) -> None:
        await conn.execute(
            "UPDATE strategy.intents SET status = 'refused', code = $2, reason = $3, "
            "updated_at = $4 WHERE intent_id = $1 AND status IN ('submitted', 'partially_filled')",
            intent_id,
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

"""The orders execution knows that carry a bot's intent, and reports parked until one is known.

Routing sends an intent under its own id; a venue fault re-routes it under an attempt id, and a
split or a TWAP sends children under ids of their own. Each `OrderRouted` names the intent (as
the parent of a child, or as the original order of an attempt), so the bot learns every id its
intent travels under, and folds each one's fills (cumulative per order) into the intent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

LIVE = ("routed", "partially_filled")
# A parked report whose order never turned out to be a bot's (a trader's own order) goes then.
PARKED_FOR = timedelta(hours=1)

_MAP = """
INSERT INTO strategy.intent_orders (order_id, intent_id, venue, attempt, status)
SELECT r.order_id, i.intent_id, r.venue, r.attempt, 'routed'
  FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[]) AS r(order_id, root, venue, attempt)
  JOIN strategy.intents i ON i.intent_id = r.root
ON CONFLICT (order_id) DO NOTHING RETURNING order_id, intent_id
"""


class Routed(msgspec.Struct, frozen=True, kw_only=True):
    order_id: uuid.UUID
    root: uuid.UUID  # the intent's id, if the order carries one
    venue: str
    attempt: int


class IntentTotals(msgspec.Struct, frozen=True, kw_only=True):
    filled: Decimal
    notional: Decimal
    live: int  # orders not yet ended

    @property
    def average_price(self) -> Decimal | None:
        return None if self.filled <= 0 else self.notional / self.filled


class IntentOrderRepository:
    async def map_routed(
        self, conn: asyncpg.Connection, routed: Sequence[Routed]
    ) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """Record the routed orders that carry a bot's intent; (order id, intent id) of those
        new to the bot. Any other order is no business of the bot's and costs this one join."""
        rows = await conn.fetch(
            _MAP,
            [r.order_id for r in routed],
            [r.root for r in routed],
            [r.venue for r in routed],
            [r.attempt for r in routed],
        )
        return sorted((r["order_id"], r["intent_id"]) for r in rows)

    async def first_attempt(
        self, conn: asyncpg.Connection, intent_id: uuid.UUID, venue: str
    ) -> None:
        """The intent's own id is its first order's: known before its `OrderRouted` arrives."""
        await conn.execute(
            "INSERT INTO strategy.intent_orders (order_id, intent_id, venue, attempt, status) "
            "VALUES ($1, $1, $2, 0, 'routed') ON CONFLICT (order_id) DO NOTHING",
            intent_id,
            venue,
        )

    async def intent_of(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> uuid.UUID | None:
        found: uuid.UUID | None = await conn.fetchval(
            "SELECT intent_id FROM strategy.intent_orders WHERE order_id = $1", order_id
        )
        return found

    async def filled(
        self,
        conn: asyncpg.Connection,
        order_id: uuid.UUID,
        filled: Decimal,
        average_price: Decimal,
        complete: bool,
    ) -> None:
        """Fills come cumulative per order: the largest filled quantity seen is the truth. A
        fill reported after its order's end (topics travel apart) still counts."""
        await conn.execute(
            "UPDATE strategy.intent_orders SET filled_quantity = $2, notional = $2 * $3, "
            "status = CASE WHEN status NOT IN ('routed', 'partially_filled') THEN status "
            "WHEN $4 THEN 'filled' ELSE 'partially_filled' END "
            "WHERE order_id = $1 AND filled_quantity <= $2",
            order_id,
            filled,
            average_price,
            complete,
        )

    async def ended(
        self,
        conn: asyncpg.Connection,
        order_id: uuid.UUID,
        status: str,
        code: str | None,
        reason: str | None,
    ) -> bool:
        """The order ended (rejected, expired) with what it filled; False if it had already."""
        result = await conn.execute(
            "UPDATE strategy.intent_orders SET status = $2, code = $3, reason = $4 "
            "WHERE order_id = $1 AND status IN ('routed', 'partially_filled')",
            order_id,
            status,
            code,
            reason,
        )
        return bool(result.endswith(" 1"))

    async def totals(self, conn: asyncpg.Connection, intent_id: uuid.UUID) -> IntentTotals:
        row = await conn.fetchrow(
            "SELECT COALESCE(sum(filled_quantity), 0) AS filled, COALESCE(sum(notional), 0) "
            "AS notional, count(*) FILTER (WHERE status IN ('routed', 'partially_filled')) "
            "AS live FROM strategy.intent_orders WHERE intent_id = $1",
            intent_id,
        )
        return IntentTotals(filled=row["filled"], notional=row["notional"], live=row["live"])

    async def park(
        self,
        conn: asyncpg.Connection,
        order_id: uuid.UUID,
        topic: str,
        payload: bytes,
        at: datetime,
    ) -> None:
        await conn.execute(
            "DELETE FROM strategy.parked_reports WHERE received_at < $1", at - PARKED_FOR
        )
        await conn.execute(
            "INSERT INTO strategy.parked_reports (order_id, topic, payload, received_at) "
            "VALUES ($1, $2, $3, $4)",
            order_id,
            topic,
            payload,
            at,
        )

    async def unpark(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> list[Any]:
        """The reports parked for the order, (topic, payload) in the order they came."""
        rows = await conn.fetch(
            "WITH taken AS (DELETE FROM strategy.parked_reports WHERE order_id = $1 "
            "RETURNING id, topic, payload) SELECT topic, payload FROM taken ORDER BY id",
            order_id,
        )
        return [(r["topic"], bytes(r["payload"])) for r in rows]

"""Writes for cancelling an order: the request on the order (and its children), its TWAP plan
stopped, and the route attempts execution must be asked to cancel.

Locks are taken in the order every other writer takes them (TWAP plan, then parent order, then
children), so a cancel never deadlocks with a slice going out or a fill being folded.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import msgspec

from modules.routing.repository.orders import ROLL_UP_PARENT

_MARK_REQUESTED = """
UPDATE routing.orders
   SET cancel_requested_at = COALESCE(cancel_requested_at, $2), updated_at = now()
 WHERE (id = $1 OR parent_order_id = $1)
   AND status IN ('routed', 'working', 'accepted', 'partially_filled')
"""
# The attempt execution knows each live single order by (the order itself, or a parent's
# children); a parent of a split or TWAP has no attempt of its own.
_LIVE_ATTEMPTS = """
SELECT a.attempt_id
  FROM routing.orders o
  JOIN routing.route_attempts a ON a.order_id = o.id AND a.attempt = o.attempt
 WHERE (o.id = $1 OR o.parent_order_id = $1)
   AND o.status IN ('routed', 'working', 'accepted', 'partially_filled')
"""
_OWN_ORDER = "SELECT id, status, kind, cancel_requested_at FROM routing.orders "
_CANCELLED = """
UPDATE routing.orders
   SET filled_quantity = GREATEST(filled_quantity, $2),
       status = CASE WHEN status IN ('filled', 'rejected', 'expired') THEN status
                     ELSE 'cancelled' END,
       updated_at = now()
 WHERE id = $1
"""


class OwnOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    status: str
    kind: str
    cancel_requested_at: datetime | None


class CancelRepository:
    async def own_order(
        self, conn: asyncpg.Connection, user_id: str, order_id: uuid.UUID
    ) -> OwnOrder | None:
        """The user's order as they placed it (a split's or TWAP's children are not theirs to
        name), unlocked: the caller stops its TWAP plan before locking it."""
        row = await conn.fetchrow(
            _OWN_ORDER + "WHERE id = $1 AND user_id = $2 AND parent_order_id IS NULL",
            order_id,
            user_id,
        )
        return None if row is None else msgspec.convert(dict(row), OwnOrder)

    async def open_orders(self, conn: asyncpg.Connection, user_id: str) -> list[uuid.UUID]:
        rows = await conn.fetch(
            "SELECT id FROM routing.orders WHERE user_id = $1 AND parent_order_id IS NULL "
            "AND status IN ('routed', 'working', 'accepted', 'partially_filled') "
            "ORDER BY created_at",
            user_id,
        )
        return [row["id"] for row in rows]

    async def stop_plan(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> None:
        await conn.execute(
            "UPDATE routing.twap_plans SET status = 'cancelled', last_error = 'cancelled' "
            "WHERE parent_order_id = $1 AND status = 'active'",
            order_id,
        )

    async def lock(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> OwnOrder:
        row = await conn.fetchrow(_OWN_ORDER + "WHERE id = $1 FOR UPDATE", order_id)
        return msgspec.convert(dict(row), OwnOrder)

    async def request(
        self, conn: asyncpg.Connection, order_id: uuid.UUID, at: datetime
    ) -> list[str]:
        """Mark the order and its live children; the attempts execution must cancel."""
        await conn.execute(_MARK_REQUESTED, order_id, at)
        rows = await conn.fetch(_LIVE_ATTEMPTS, order_id)
        return [str(row["attempt_id"]) for row in rows]

    async def settle_parent(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> None:
        """A parent with nothing left working ends now (its children's reports would not come)."""
        await conn.execute(ROLL_UP_PARENT, order_id)

    async def order_cancelled(
        self, conn: asyncpg.Connection, order_id: uuid.UUID, filled_quantity: object
    ) -> None:
        await conn.execute(_CANCELLED, order_id, filled_quantity)

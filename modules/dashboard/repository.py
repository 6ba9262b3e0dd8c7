"""Queries of the dashboard's read models.

Writes happen inside an event handler's transaction and take its asyncpg connection (the row
lock must belong to that transaction); reads use the Piccolo query builder on the pool.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.tables import Fill, Notification, Order, OrderAttempt


class OrderRecord(msgspec.Struct, kw_only=True):
    """An `orders` row, column for column."""

    order_id: str
    user_id: str
    symbol: str | None = None
    side: str | None = None
    order_type: str | None = None
    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    venue: str | None = None
    venue_order_id: str | None = None
    status: str = "routed"
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    fees: Decimal = Decimal(0)
    fee_currency: str | None = None
    reason: str | None = None
    revision: int = 0
    attempt: int = 0
    created_at: datetime
    updated_at: datetime


class Target(msgspec.Struct, frozen=True):
    """The order (as the trader knows it) an event is about, and the route attempt it speaks for."""

    order_id: str
    attempt: int


class FillRecord(msgspec.Struct, kw_only=True):
    # The id execution reported the fill under: the order's own, or a re-route attempt's.
    order_id: str
    fill_id: str
    user_id: str
    venue: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    executed_at: datetime


class FillTotals(msgspec.Struct, frozen=True):
    quantity: Decimal
    fees: Decimal
    notional: Decimal


class NotificationRecord(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    user_id: str
    kind: str
    title: str
    body: str
    order_id: str | None
    created_at: datetime
    read_at: datetime | None = None


_ORDER_COLUMNS = tuple(f for f in OrderRecord.__struct_fields__)
_MUTABLE = tuple(c for c in _ORDER_COLUMNS if c not in {"order_id", "user_id"})
# Column names come from OrderRecord's own fields, never from input.
_UPDATE_SQL = (
    "UPDATE dashboard.orders SET "  # noqa: S608
    + ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(_MUTABLE))
    + " WHERE order_id = $1"
)
_FILL_COLUMNS = tuple(FillRecord.__struct_fields__)
_INSERT_FILL_SQL = (
    f"INSERT INTO dashboard.fills ({', '.join(_FILL_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_FILL_COLUMNS)))}) "
    "ON CONFLICT (order_id, fill_id) DO NOTHING RETURNING id"
)
# An attempt's fills are stored under the attempt's id; the order's are all of its attempts'.
_FILLS_OF_ORDER = (
    "(order_id = $1 OR order_id IN "
    "(SELECT attempt_order_id FROM dashboard.order_attempts WHERE order_id = $1))"
)
_NOTIFICATION_COLUMNS = tuple(NotificationRecord.__struct_fields__)
_INSERT_NOTIFICATION_SQL = (
    f"INSERT INTO dashboard.notifications ({', '.join(_NOTIFICATION_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_NOTIFICATION_COLUMNS)))})"
)


def _order(row: Any) -> OrderRecord:
    return msgspec.convert(dict(row), OrderRecord)


def _notification(row: Any) -> NotificationRecord:
    return msgspec.convert(dict(row), NotificationRecord)


class DashboardRepository:
    # ---- writes, inside an event handler's transaction ----------------------------------

    async def lock_order(
        self, conn: asyncpg.Connection, order_id: str, user_id: str, seen_at: datetime
    ) -> OrderRecord:
        """The order's row, created if this is the first event about it, locked until commit.

        Events of one order arrive on different topics concurrently; the row lock serialises
        them so each applies to the state the previous one left.
        """
        await conn.execute(
            "INSERT INTO dashboard.orders (order_id, user_id, status, filled_quantity, fees, "
            "revision, created_at, updated_at) VALUES ($1, $2, 'routed', 0, 0, 0, $3, $3) "
            "ON CONFLICT (order_id) DO NOTHING",
            order_id,
            user_id,
            seen_at,
        )
        row = await conn.fetchrow(
            "SELECT * FROM dashboard.orders WHERE order_id = $1 FOR UPDATE", order_id
        )
        return _order(row)

    async def save_order(self, conn: asyncpg.Connection, record: OrderRecord) -> None:
        await conn.execute(
            _UPDATE_SQL, record.order_id, *(getattr(record, column) for column in _MUTABLE)
        )

    async def add_fill(self, conn: asyncpg.Connection, fill: FillRecord) -> bool:
        """Record a fill; False when this fill of this order was already recorded."""
        inserted = await conn.fetchval(
            _INSERT_FILL_SQL, *(getattr(fill, column) for column in _FILL_COLUMNS)
        )
        return inserted is not None

    async def fill_totals(self, conn: asyncpg.Connection, order_id: str) -> FillTotals:
        row = await conn.fetchrow(
            "SELECT coalesce(sum(quantity), 0) AS quantity, coalesce(sum(fee), 0) AS fees, "
            "coalesce(sum(price * quantity), 0) AS notional "
            "FROM dashboard.fills WHERE " + _FILLS_OF_ORDER,
            order_id,
        )
        return FillTotals(row["quantity"], row["fees"], row["notional"])

    async def map_attempt(
        self, conn: asyncpg.Connection, attempt_order_id: str, target: Target
    ) -> None:
        """Record which order an execution order id is for (after any early event has parked)."""
        await conn.execute(
            "INSERT INTO dashboard.order_attempts (attempt_order_id, order_id, attempt) "
            "VALUES ($1, $2, $3) ON CONFLICT (attempt_order_id) DO UPDATE "
            "SET order_id = EXCLUDED.order_id, attempt = EXCLUDED.attempt",
            attempt_order_id,
            target.order_id,
            target.attempt,
        )

    async def target_of(self, conn: asyncpg.Connection, attempt_order_id: str) -> Target | None:
        """The order an execution order id belongs to; None while its `OrderRouted` is unseen.

        On None the caller holds a lock on the attempt's row until commit, so the `OrderRouted`
        handler (which takes it to map the attempt) replays only after the caller has parked.
        """
        target = await self._mapped(conn, attempt_order_id)
        if target is not None:
            return target
        # Order rows are keyed by the trader's id only, and an order's first attempt runs under
        # that very id: a row by this id means this is the first attempt (or an order from
        # before attempts were mapped).
        if await conn.fetchval(
            "SELECT 1 FROM dashboard.orders WHERE order_id = $1", attempt_order_id
        ):
            return Target(attempt_order_id, 0)
        await conn.execute(
            "INSERT INTO dashboard.order_attempts (attempt_order_id) VALUES ($1) "
            "ON CONFLICT DO NOTHING",
            attempt_order_id,
        )
        return await self._mapped(conn, attempt_order_id)

    async def _mapped(self, conn: asyncpg.Connection, attempt_order_id: str) -> Target | None:
        row = await conn.fetchrow(
            "SELECT order_id, attempt FROM dashboard.order_attempts "
            "WHERE attempt_order_id = $1 FOR SHARE",
            attempt_order_id,
        )
        if row is None or row["order_id"] is None:
            return None
        return Target(row["order_id"], row["attempt"])

    async def park(
        self,
        conn: asyncpg.Connection,
        attempt_order_id: str,
        topic: str,
        payload: bytes,
        received_at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO dashboard.pending_events (attempt_order_id, topic, payload, received_at) "
            "VALUES ($1, $2, $3, $4)",
            attempt_order_id,
            topic,
            payload,
            received_at,
        )

    async def unpark(
        self, conn: asyncpg.Connection, attempt_order_id: str
    ) -> list[tuple[str, bytes]]:
        """Take the events parked for an attempt, (topic, payload) in the order they came."""
        rows = await conn.fetch(
            "WITH taken AS (DELETE FROM dashboard.pending_events WHERE attempt_order_id = $1 "
            "RETURNING id, topic, payload) SELECT topic, payload FROM taken ORDER BY id",
            attempt_order_id,
        )
        return [(row["topic"], bytes(row["payload"])) for row in rows]

    async def add_notification(
        self, conn: asyncpg.Connection, notification: NotificationRecord
    ) -> None:
        await conn.execute(
            _INSERT_NOTIFICATION_SQL,
            *(getattr(notification, column) for column in _NOTIFICATION_COLUMNS),
        )

    # ---- reads ---------------------------------------------------------------------------

    async def list_orders(self, user_id: str, limit: int) -> list[OrderRecord]:
        rows = (
            await Order.select()
            .where(Order.user_id == user_id)
            .order_by(Order.created_at, ascending=False)
            .order_by(Order.order_id, ascending=False)
            .limit(limit)
        )
        return [_order(row) for row in rows]

    async def get_order(self, user_id: str, order_id: str) -> OrderRecord | None:
        row = (
            await Order.select()
            .where((Order.order_id == order_id) & (Order.user_id == user_id))
            .first()
        )
        return None if row is None else _order(row)

    async def fills_of(self, order_id: str) -> list[FillRecord]:
        """Fills of the order's every route attempt, each under the id it was reported for."""
        attempts = await OrderAttempt.select(OrderAttempt.attempt_order_id).where(
            OrderAttempt.order_id == order_id
        )
        ids = {order_id, *(row["attempt_order_id"] for row in attempts)}
        rows = (
            await Fill.select(*(getattr(Fill, column) for column in _FILL_COLUMNS))
            .where(Fill.order_id.is_in(sorted(ids)))
            .order_by(Fill.executed_at)
            .order_by(Fill.id)
        )
        return [msgspec.convert(dict(row), FillRecord) for row in rows]

    async def list_notifications(
        self, user_id: str, limit: int, *, unread_only: bool
    ) -> list[NotificationRecord]:
        query = Notification.select().where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_null())
        rows = await query.order_by(Notification.created_at, ascending=False).limit(limit)
        return [_notification(row) for row in rows]

    async def count_unread(self, user_id: str) -> int:
        return int(
            await Notification.count().where(
                (Notification.user_id == user_id) & Notification.read_at.is_null()
            )
        )

    async def mark_read(
        self, user_id: str, notification_id: uuid.UUID, read_at: datetime
    ) -> NotificationRecord | None:
        """Mark read (keeping the first read time); None when the user has no such row."""
        where = (Notification.id == notification_id) & (Notification.user_id == user_id)
        await Notification.update({Notification.read_at: read_at}).where(
            where & Notification.read_at.is_null()
        )
        row = await Notification.select().where(where).first()
        return None if row is None else _notification(row)

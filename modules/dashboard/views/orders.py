"""The dashboard's read side: the queries behind its GET endpoints, and rows as response shapes.

Reads run on the pool with the Piccolo query builder; they see what the event handlers have
committed. The row -> schema functions also shape the pushes the service sends.
"""

from __future__ import annotations

from typing import Any

import msgspec

from modules.dashboard.domain.read_model import FillRecord, NotificationRecord, OrderRecord
from modules.dashboard.schemas.orders import (
    FillView,
    NotificationList,
    NotificationView,
    OrderDetail,
    OrderView,
)
from modules.dashboard.tables.orders import Fill, Notification, Order, OrderAttempt
from modules.kernel.refusal import Kind, Refused

_FILL_COLUMNS = tuple(FillRecord.__struct_fields__)


def order_view(order: OrderRecord) -> OrderView:
    return OrderView(
        id=order.order_id,
        symbol=order.symbol,
        side=order.side,
        type=order.order_type,
        quantity=order.quantity,
        limit_price=order.limit_price,
        venue=order.venue,
        status=order.status,
        filled_quantity=order.filled_quantity,
        average_price=order.average_price,
        fees=order.fees,
        fee_currency=order.fee_currency,
        reason=order.reason,
        revision=order.revision,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def fill_view(fill: FillRecord, order_id: str) -> FillView:
    """`order_id` is the trader's, whichever route attempt the fill was reported for."""
    return FillView(
        fill_id=fill.fill_id,
        order_id=order_id,
        venue=fill.venue,
        price=fill.price,
        quantity=fill.quantity,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        liquidity=fill.liquidity,
        executed_at=fill.executed_at,
    )


def notification_view(record: NotificationRecord) -> NotificationView:
    return NotificationView(
        id=str(record.id),
        kind=record.kind,
        title=record.title,
        body=record.body,
        order_id=record.order_id,
        created_at=record.created_at,
        read_at=record.read_at,
        url=record.url,
    )


def _order(row: Any) -> OrderRecord:
    return msgspec.convert(dict(row), OrderRecord)


def _notification(row: Any) -> NotificationRecord:
    return msgspec.convert(dict(row), NotificationRecord)


class DashboardViews:
    """A user's orders and notifications; another user's rows are never found."""

    async def list_orders(self, user_id: str, limit: int) -> list[OrderView]:
        rows = (
            await Order.select()
            .where(Order.user_id == user_id)
            .order_by(Order.created_at, ascending=False)
            .order_by(Order.order_id, ascending=False)
            .limit(limit)
        )
        return [order_view(_order(row)) for row in rows]

    async def order_detail(self, user_id: str, order_id: str) -> OrderDetail:
        row = (
            await Order.select()
            .where((Order.order_id == order_id) & (Order.user_id == user_id))
            .first()
        )
        if row is None:
            raise Refused(Kind.NOT_FOUND, "order_not_found", "No such order")
        order = _order(row)
        fills = [fill_view(fill, order.order_id) for fill in await self._fills_of(order.order_id)]
        return OrderDetail(order=order_view(order), fills=fills)

    async def _fills_of(self, order_id: str) -> list[FillRecord]:
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

    async def notifications(
        self, user_id: str, limit: int, *, unread_only: bool
    ) -> NotificationList:
        query = Notification.select().where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_null())
        rows = await query.order_by(Notification.created_at, ascending=False).limit(limit)
        unread = await Notification.count().where(
            (Notification.user_id == user_id) & Notification.read_at.is_null()
        )
        return NotificationList(
            items=[notification_view(_notification(row)) for row in rows], unread=int(unread)
        )

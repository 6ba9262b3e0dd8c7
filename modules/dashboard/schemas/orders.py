"""HTTP and WebSocket payloads of the dashboard: what a trader's screen shows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from modules.dashboard.domain.read_model import OrderStatus


class OrderView(msgspec.Struct, kw_only=True):
    """One order as the dashboard knows it. Fields stay null until an event has told them."""

    id: str
    symbol: str | None
    side: str | None
    type: str | None
    quantity: Decimal | None
    limit_price: Decimal | None
    venue: str | None
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None
    fees: Decimal
    fee_currency: str | None
    reason: str | None
    revision: int
    created_at: datetime
    updated_at: datetime


class FillView(msgspec.Struct, kw_only=True):
    fill_id: str
    order_id: str
    venue: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    executed_at: datetime


class OrderDetail(msgspec.Struct, kw_only=True):
    order: OrderView
    fills: list[FillView]


class OrderList(msgspec.Struct, kw_only=True):
    items: list[OrderView]


class NotificationView(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    title: str
    body: str
    order_id: str | None
    created_at: datetime
    read_at: datetime | None
    # Where the app goes when the notification is tapped (the push's deep link), if anywhere.
    url: str | None = None


class NotificationList(msgspec.Struct, kw_only=True):
    items: list[NotificationView]
    unread: int


# ---- WebSocket messages ------------------------------------------------------------------


class OrderUpdated(msgspec.Struct, tag_field="type", tag="order.updated"):
    order: OrderView


class OrderFilledPush(msgspec.Struct, tag_field="type", tag="order.filled"):
    order: OrderView
    fill: FillView


class NotificationCreated(msgspec.Struct, tag_field="type", tag="notification.created"):
    notification: NotificationView


class AuthOk(msgspec.Struct, tag_field="type", tag="auth.ok"):
    user_id: str


class Pong(msgspec.Struct, tag_field="type", tag="pong"):
    pass


class SocketError(msgspec.Struct, tag_field="type", tag="error", omit_defaults=True):
    code: str
    detail: str | None = None


class ClientAuth(msgspec.Struct, tag_field="type", tag="auth", forbid_unknown_fields=True):
    token: str


class ClientPing(msgspec.Struct, tag_field="type", tag="ping"):
    pass


ClientMessage = ClientAuth | ClientPing

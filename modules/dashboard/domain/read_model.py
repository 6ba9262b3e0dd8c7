"""The dashboard's read-model rows as values: what the folds take and give back.

Each struct is one table's row column for column (`tables.py`), so the repository converts rows
to and from them without a mapping of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

OrderStatus = Literal[
    "routed", "accepted", "partially_filled", "filled", "rejected", "expired", "cancelled"
]


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
    status: OrderStatus = "routed"
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
    """Sums over every fill of an order (all its route attempts)."""

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
    url: str | None = None  # the deep link the app opens
    dedupe_key: str | None = None  # the fact told, for notices told once per fact

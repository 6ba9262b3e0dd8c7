"""Rows of the push and price-alert tables as values, column for column (never a token)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import msgspec


class DeviceRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A `push_devices` row without its sealed token and the token's hash."""

    id: uuid.UUID
    user_id: str
    device_id: str
    platform: str
    token_hint: str
    created_at: datetime
    updated_at: datetime
    last_sent_at: datetime | None = None


class AlertRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A `price_alerts` row."""

    id: uuid.UUID
    user_id: str
    symbol: str
    venue: str | None
    direction: str
    threshold: Decimal
    created_at: datetime
    triggered_at: datetime | None = None
    triggered_price: Decimal | None = None
    triggered_venue: str | None = None

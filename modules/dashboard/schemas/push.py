"""HTTP payloads of notifications' preferences, push devices and price alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from modules.kernel.bounds import MAX_AMOUNT, positive_amount, text
from modules.kernel.refusal import Kind, Refused

HHMM_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
# What an app may call its device (an install id, a UUID, an Android id).
DEVICE_ID = Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
MAX_PRICE_DECIMALS = 12
VENUE = Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")


class UnreadCount(msgspec.Struct, kw_only=True):
    unread: int


class MarkedRead(msgspec.Struct, kw_only=True):
    marked: int
    unread: int


class PreferencesView(msgspec.Struct, kw_only=True):
    """Which notifications reach your phones. In-app notifications are always kept."""

    push_enabled: bool
    trade_alerts: Annotated[bool, Meta(description="Trades executed, positions closed, stops hit")]
    price_alerts: bool
    bot_alerts: Annotated[bool, Meta(description="Your bot paused or stopped by something else")]
    daily_summary: bool
    daily_summary_time: Annotated[str, Meta(description="HH:MM in your time zone")]
    timezone: Annotated[
        str, Meta(description="Your profile's time zone (GET/PATCH /v1/settings/profile)")
    ]


class PreferencesUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields left out keep their value."""

    push_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    trade_alerts: bool | msgspec.UnsetType = msgspec.UNSET
    price_alerts: bool | msgspec.UnsetType = msgspec.UNSET
    bot_alerts: bool | msgspec.UnsetType = msgspec.UNSET
    daily_summary: bool | msgspec.UnsetType = msgspec.UNSET
    daily_summary_time: (
        Annotated[str, Meta(min_length=5, max_length=5, pattern=HHMM_PATTERN)] | msgspec.UnsetType
    ) = msgspec.UNSET


class DeviceRegistration(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    expo_push_token: Annotated[
        str,
        text(256, min_length=1, description="From the app's getExpoPushTokenAsync"),
    ]
    platform: Literal["ios", "android"]
    device_id: Annotated[str, DEVICE_ID]

    def __repr__(self) -> str:  # the token is a secret: never in a traceback or a log line
        return f"DeviceRegistration(platform={self.platform!r}, device_id={self.device_id!r})"


class DeviceView(msgspec.Struct, kw_only=True):
    id: str
    device_id: str
    platform: str
    token_hint: Annotated[str, Meta(description="The token's kind and last four characters")]
    created_at: datetime
    updated_at: datetime
    last_sent_at: datetime | None


class DeviceList(msgspec.Struct, kw_only=True):
    items: list[DeviceView]


class PriceAlertCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    symbol: Annotated[str, text(32, min_length=3, description="A pair such as BTC/USD")]
    direction: Literal["above", "below"]
    price: Annotated[Decimal, positive_amount("The threshold, in the pair's quote currency")]
    venue: Annotated[str, VENUE] | None = None

    def __post_init__(self) -> None:
        if not self.price.is_finite() or self.price <= 0:
            raise ValueError("price must be a positive number")
        if self.price > MAX_AMOUNT:
            raise ValueError(f"price must be at most {MAX_AMOUNT}")
        exponent = self.price.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_PRICE_DECIMALS:
            raise Refused(
                Kind.INVALID,
                "too_many_decimals",
                f"price has more than {MAX_PRICE_DECIMALS} decimal places",
            )


class PriceAlertView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    symbol: str
    venue: str | None
    direction: str
    price: Decimal
    status: Literal["armed", "triggered"]
    created_at: datetime
    triggered_at: datetime | None
    triggered_price: Decimal | None
    triggered_venue: str | None


class PriceAlertList(msgspec.Struct, kw_only=True):
    items: list[PriceAlertView]

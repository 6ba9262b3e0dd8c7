"""HTTP payloads of the admin's dashboard: the platform at a glance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta


class UserCounts(msgspec.Struct, kw_only=True):
    total: int
    by_tier: dict[str, int]
    by_status: dict[str, int]


class BotCounts(msgspec.Struct, kw_only=True):
    running: int
    paused: int
    off: int


class TradingFigures(msgspec.Struct, kw_only=True):
    volume_24h: Annotated[
        Decimal, Meta(description="Sum of fills' price x quantity, quote currency")
    ]
    trades_24h: Annotated[int, Meta(description="Fills in the last 24 hours")]
    orders_24h: int
    orders_per_minute: Annotated[
        Decimal, Meta(description="Orders placed over the last 15 minutes, per minute")
    ]
    error_rate: Annotated[
        float, Meta(description="Share of the last 24 hours' orders that were rejected")
    ]


class OrderPathLatency(msgspec.Struct, kw_only=True):
    """From routing's decision to the order's first fill at the venue, over the last 24 hours."""

    samples: int
    p50_ms: float | None
    p99_ms: float | None


class VenueHealthReport(msgspec.Struct, kw_only=True):
    venue: str
    breaker_state: str
    success_rate: float
    queue_depth: int
    latency_p50_ms: float
    latency_p99_ms: float
    as_of: datetime


class VenueSummary(msgspec.Struct, kw_only=True):
    breakers: Annotated[
        dict[str, int],
        Meta(description="Venues per breaker state; `stale`: no report for a minute"),
    ]
    venues: list[VenueHealthReport]


class AdminOverview(msgspec.Struct, kw_only=True):
    users: UserCounts
    bots: BotCounts
    trading: TradingFigures
    order_path: OrderPathLatency
    venues: VenueSummary
    as_of: datetime

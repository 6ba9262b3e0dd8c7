"""Execution's HTTP response shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import msgspec


class VenueView(msgspec.Struct, frozen=True, kw_only=True):
    """A venue a trader can connect: its listed symbols, fee rates (fractions) and latency."""

    name: str
    symbols: list[str]
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms: float


class PositionView(msgspec.Struct, frozen=True, kw_only=True):
    """A net position; P&L in the quote currency, unrealised marked at the venue's book mid.

    `realised_pnl` is net of every fee paid on the position; `fees` shows those fees on their
    own. `position_id` is the id `POST /v1/positions/{id}/close` takes.
    """

    position_id: str
    venue: str
    symbol: str
    quantity: Decimal
    average_entry: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    fees: Decimal
    mark_price: Decimal | None
    status: Literal["open", "closed"]


class VenueHealthView(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    breaker_state: Literal["closed", "open", "half_open"]
    success_rate: float
    queue_depth: int
    in_flight: int
    latency_p50_ms: float
    latency_p99_ms: float


class VenueFaultsBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fault injection on a simulated venue: probabilities between 0 and 1."""

    error_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    timeout_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    rate_limit_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    lookup_error_rate: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.0
    # Optional knobs for the venue's executor (None keeps the current value).
    orders_per_second: Annotated[float, msgspec.Meta(gt=0, le=100000)] | None = None
    burst: Annotated[float, msgspec.Meta(ge=1, le=100000)] | None = None
    breaker_cooldown_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] | None = None
    place_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] | None = None
    max_in_flight: Annotated[int, msgspec.Meta(ge=1, le=1024)] | None = None


class VenueFaultsView(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    error_rate: float
    timeout_rate: float
    rate_limit_rate: float
    lookup_error_rate: float
    orders_per_second: float
    burst: float
    breaker_cooldown_seconds: float
    place_timeout_seconds: float
    max_in_flight: int


class TradingControlView(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    paused: bool

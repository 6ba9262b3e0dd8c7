"""Routing's HTTP request and response shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
# Orders are sized in base units with at most 8 decimals (a satoshi), and capped far above any
# real order so absurd values never reach the arithmetic.
MAX_DECIMALS = 8
MAX_AMOUNT = Decimal("1000000000")


def _check_amount(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive number")
    if value > MAX_AMOUNT:
        raise ValueError(f"{name} must be at most {MAX_AMOUNT}")
    if value != value.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
        raise ValueError(f"{name} has more than {MAX_DECIMALS} decimal places")


class PlaceOrderRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    symbol: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[A-Za-z0-9]{2,12}/[A-Za-z0-9]{2,12}$",
            description="Pair as BASE/QUOTE",
            examples=["BTC/USD"],
        ),
    ]
    side: Side
    type: OrderType
    quantity: Annotated[
        Decimal, msgspec.Meta(description="Base-currency amount, > 0", examples=["0.01"])
    ]
    limit_price: Annotated[
        Decimal | None, msgspec.Meta(description="Required for limit orders, absent for market")
    ] = None

    def __post_init__(self) -> None:
        _check_amount("quantity", self.quantity)
        if self.type == "limit":
            if self.limit_price is None:
                raise ValueError("limit_price is required for a limit order")
            _check_amount("limit_price", self.limit_price)
        elif self.limit_price is not None:
            raise ValueError("limit_price is only allowed on a limit order")


class PlacedOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    venue: str
    client_order_id: str
    created_at: datetime


class FillView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: str
    filled_at: datetime


class CandidateView(msgspec.Struct, frozen=True, kw_only=True):
    """One venue considered for the order: eligibility and expected costs in quote currency."""

    venue: str
    eligible: bool
    reason: str | None = None
    fee: Decimal | None = None
    slippage: Decimal | None = None
    latency_risk: Decimal | None = None
    expected_cost: Decimal | None = None
    expected_price: Decimal | None = None
    mid: Decimal | None = None
    liquidity: Decimal | None = None
    taker_fee: Decimal | None = None
    latency_ms: float | None = None
    success_rate: float | None = None
    book_at: datetime | None = None


class RouteView(msgspec.Struct, frozen=True, kw_only=True):
    chosen: str
    decided_at: datetime
    candidates: list[CandidateView]


class OrderSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    symbol: str
    side: str
    type: str
    quantity: Decimal
    limit_price: Decimal | None
    venue: str
    client_order_id: str
    filled_quantity: Decimal
    average_price: Decimal | None
    fees: Decimal
    reject_code: str | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime


class OrderDetail(OrderSummary, frozen=True, kw_only=True):
    fills: list[FillView]
    route: RouteView | None


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[OrderSummary]
    limit: int
    offset: int

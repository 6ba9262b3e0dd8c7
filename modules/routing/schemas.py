"""Routing's HTTP request and response shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from modules.kernel.bounds import identifier, positive_amount, text
from modules.kernel.refusal import Kind, Refused

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
Signal = Literal["entry", "exit", "profit_take", "stop_loss"]
RiskLevel = Literal["low", "medium", "high"]
PAIR_PATTERN = r"^[A-Za-z0-9]{2,12}/[A-Za-z0-9]{2,12}$"
PairList = Annotated[
    list[Annotated[str, msgspec.Meta(pattern=PAIR_PATTERN)]], msgspec.Meta(max_length=100)
]
# Orders are sized in base units with at most 8 decimals (a satoshi), and capped far above any
# real order so absurd values never reach the arithmetic.
MAX_DECIMALS = 8
MAX_AMOUNT = Decimal("1000000000")


def _check_amount(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{name} must be a positive number")
    if value > MAX_AMOUNT:
        raise ValueError(f"{name} must be at most {MAX_AMOUNT}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        # Decimals as written (1.000000000 too): a well-formed amount finer than the instruments
        # trade breaks a rule, it is not malformed.
        raise Refused(
            Kind.INVALID, "too_many_decimals", f"{name} has more than {MAX_DECIMALS} decimal places"
        )


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
    quantity: Annotated[Decimal, positive_amount("Base-currency amount, > 0", examples=["0.01"])]
    limit_price: (
        Annotated[
            Decimal,
            positive_amount("Required for limit orders, absent for market", nullable=True),
        ]
        | None
    ) = None
    signal: Annotated[
        Signal,
        msgspec.Meta(
            description="Why: sets the priority (stop_loss 1, exit 2, entry 3, profit_take 4)"
        ),
    ] = "entry"

    def __post_init__(self) -> None:
        _check_amount("quantity", self.quantity)
        # Which fields go together is a rule the OpenAPI cannot state per field: 422, not 400.
        if self.type == "limit":
            if self.limit_price is None:
                raise Refused(
                    Kind.INVALID,
                    "limit_price_required",
                    "limit_price is required for a limit order",
                )
            _check_amount("limit_price", self.limit_price)
        elif self.limit_price is not None:
            raise Refused(
                Kind.INVALID,
                "limit_price_not_allowed",
                "limit_price is only allowed on a limit order",
            )


class PlacedOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    venue: str
    client_order_id: str
    created_at: datetime
    # single: routed to one venue; split / twap: a parent whose child orders do the work.
    kind: str = "single"


class OrderCancel(msgspec.Struct, frozen=True, kw_only=True):
    """A cancel asked for: `cancelling` until the venue confirms (the order then ends
    `cancelled` with the fills made before the cancel, or `filled` if the market got there
    first), `cancelled` when nothing was left at any venue."""

    id: str
    status: Literal["cancelling", "cancelled"]
    cancel_requested_at: datetime


class OrderCancels(msgspec.Struct, frozen=True, kw_only=True):
    orders: list[OrderCancel]


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
    liquidity_at_limit: Decimal | None = None
    queue_load: int | None = None
    score: Decimal | None = None


class RouteView(msgspec.Struct, frozen=True, kw_only=True):
    chosen: str
    decided_at: datetime
    candidates: list[CandidateView]
    attempt: int = 0
    why: str | None = None


class AttemptView(msgspec.Struct, frozen=True, kw_only=True):
    attempt: int
    venue: str
    client_order_id: str
    routed_at: datetime
    failed_code: str | None
    failed_reason: str | None


class OrderRoute(msgspec.Struct, frozen=True, kw_only=True):
    """Why the order went where it went: each decision (first route, re-routes) in full."""

    order_id: str
    kind: str
    venue: str
    winner: str
    why: str | None
    decisions: list[RouteView]
    attempts: list[AttemptView]
    children: list[ChildView]


class ChildView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    venue: str
    quantity: Decimal
    status: str
    filled_quantity: Decimal
    created_at: datetime


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
    signal: str
    priority: int
    source: str
    kind: str
    parent_order_id: str | None
    attempt: int


class OrderDetail(OrderSummary, frozen=True, kw_only=True):
    fills: list[FillView]
    route: RouteView | None
    attempts: list[AttemptView]
    children: list[ChildView]


class OrderPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[OrderSummary]
    limit: int
    offset: int


class TradingSettingsView(msgspec.Struct, frozen=True, kw_only=True):
    risk_level: RiskLevel
    position_limit_pct: Decimal
    position_limit_usd: Decimal
    max_position_usd: Decimal | None
    max_daily_loss_usd: Decimal
    allowed_pairs: list[str] | None
    equity_usd: Annotated[Decimal, msgspec.Meta(description="What position size is capped against")]
    equity_source: Annotated[
        Literal["balances", "settings", "default"],
        msgspec.Meta(
            description="balances: what your venue accounts hold (once a venue reported them); "
            "settings: your own equity_usd until then; default: the platform's"
        ),
    ] = "default"
    tier: str
    max_open_positions: int
    trades_per_day: int
    kill_switch: str | None


def _positive_or_none(name: str, value: Decimal | msgspec.UnsetType | None) -> None:
    if isinstance(value, Decimal):
        _check_amount(name, value)


Amount = Annotated[Decimal, positive_amount("USD, > 0; null resets it", nullable=True)]


class TradingSettingsPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Fields left out keep their value; `null` resets a field to the platform default."""

    risk_level: RiskLevel | msgspec.UnsetType | None = msgspec.UNSET
    max_position_usd: Amount | msgspec.UnsetType | None = msgspec.UNSET
    max_daily_loss_usd: Amount | msgspec.UnsetType | None = msgspec.UNSET
    allowed_pairs: PairList | msgspec.UnsetType | None = msgspec.UNSET
    equity_usd: Amount | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        _positive_or_none("max_position_usd", self.max_position_usd)
        _positive_or_none("max_daily_loss_usd", self.max_daily_loss_usd)
        _positive_or_none("equity_usd", self.equity_usd)


class KillSwitchRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    scope: Literal["global", "user"]
    active: bool
    user_id: Annotated[str, identifier()] | None = None
    reason: Annotated[str, text(500)] | None = None
    # Engaging only: cancel the affected users' open orders and close their positions at market.
    close_all_positions: bool = False

    def __post_init__(self) -> None:
        if (self.scope == "user") != (self.user_id is not None):
            raise Refused(
                Kind.INVALID,
                "user_id_with_scope",
                "user_id is required for scope user, and only for it",
            )
        if self.close_all_positions and not self.active:
            raise Refused(
                Kind.INVALID,
                "close_all_needs_engaging",
                "close_all_positions goes with engaging the kill switch",
            )


class KillSwitchView(msgspec.Struct, frozen=True, kw_only=True):
    scope: str
    user_id: str | None
    active: bool
    set_by: str
    # With close_all_positions: the open orders cancelled and the closes sent.
    orders_cancelled: int = 0
    positions_closing: int = 0


class KillSwitchEntry(msgspec.Struct, frozen=True, kw_only=True):
    """An engaged kill switch: whose trading it halts, who set it (role and user id), when, why."""

    scope: Literal["global", "user"]
    user_id: str | None
    set_by: str
    set_by_user_id: str | None
    reason: str | None
    since: datetime


class AdminKillSwitches(msgspec.Struct, frozen=True, kw_only=True):
    global_switch: KillSwitchEntry | None = msgspec.field(name="global")
    users: list[KillSwitchEntry]


class DecisionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One route decision for the admin: the order, the venue chosen and why, and every
    candidate venue with the factors it was scored on (as the trader's order route shows)."""

    order_id: str
    attempt: int
    user_id: str
    symbol: str
    side: str
    quantity: Decimal
    kind: str
    chosen: str
    decided_at: datetime
    why: str | None
    candidates: list[CandidateView]


class VenueStatsView(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    routed_24h: int
    failed_24h: int
    in_flight: int
    breaker_state: str | None
    success_rate_by_pair: dict[str, float | None]


class AdminRouting(msgspec.Struct, frozen=True, kw_only=True):
    decisions: list[DecisionSummary]
    venues: list[VenueStatsView]
    global_kill_switch: bool

"""Execution's published language: what happened to an order at its venue, and venue books."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

import msgspec

from modules.kernel.events import IntegrationEvent

Liquidity = Literal["maker", "taker"]
# Every report on an order says who placed it, as routing said in `OrderRouted.source`, so a
# reader can pass over orders that are none of its business without a lookup. None in reports
# of orders queued before the field existed.
OrderSource = str | None


class OrderAccepted(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "execution.order-accepted.v1"
    order_id: str
    user_id: str
    venue: str
    source: OrderSource = None
    client_order_id: str
    venue_order_id: str


class OrderFilled(IntegrationEvent, frozen=True, kw_only=True):
    """One fill (an execution at the venue). `status` is the order's state after it."""

    TOPIC: ClassVar[str] = "execution.order-filled.v1"
    order_id: str
    user_id: str
    venue: str
    source: OrderSource = None
    fill_id: str
    symbol: str
    side: Literal["buy", "sell"]
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal
    status: Literal["partially_filled", "filled"]
    # The position the fill folds into (its `PositionChanged` follows in the same transaction);
    # None from releases before it carried one.
    position_id: str | None = None


class OrderRejected(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "execution.order-rejected.v1"
    order_id: str
    user_id: str
    venue: str
    source: OrderSource = None
    code: str
    reason: str


class OrderExpired(IntegrationEvent, frozen=True, kw_only=True):
    """The unfilled rest of an order was cancelled (e.g. a market order the book could not fill)."""

    TOPIC: ClassVar[str] = "execution.order-expired.v1"
    order_id: str
    user_id: str
    venue: str
    source: OrderSource = None
    filled_quantity: Decimal
    remaining_quantity: Decimal
    reason: str


class OrderCancelled(IntegrationEvent, frozen=True, kw_only=True):
    """The venue cancelled the unfilled rest of an order at the trader's (or a halt's) request.

    Fills before the cancel stand: `filled_quantity` of them, reported by `OrderFilled` first.
    """

    TOPIC: ClassVar[str] = "execution.order-cancelled.v1"
    order_id: str
    user_id: str
    venue: str
    source: OrderSource = None
    filled_quantity: Decimal
    remaining_quantity: Decimal


class BookLevel(msgspec.Struct, frozen=True, array_like=True):
    price: Decimal
    size: Decimal


class VenueBookUpdated(IntegrationEvent, frozen=True, kw_only=True):
    """A venue's order book top levels and fee schedule, published every market tick.

    Published straight to the bus (not through the outbox): a newer snapshot supersedes a lost
    one, so at-most-once is the right guarantee for it.
    """

    TOPIC: ClassVar[str] = "execution.venue-book-updated.v1"
    venue: str
    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms: float
    success_rate: float = 1.0


class CredentialUnsealed(IntegrationEvent, frozen=True, kw_only=True):
    """Execution opened a sealed credential in memory to act for `order_id` (for the audit log).

    Carries identifiers only, never material.
    """

    TOPIC: ClassVar[str] = "execution.credential-unsealed.v1"
    credential_id: str
    user_id: str
    venue: str
    order_id: str
    # For "verify_credential", `order_id` carries the verification request id.
    purpose: Literal["place_order", "verify_credential", "reconcile", "cancel_order"]


class CredentialVerified(IntegrationEvent, frozen=True, kw_only=True):
    """Execution's answer to a verification request: what the venue says the key may do."""

    TOPIC: ClassVar[str] = "execution.credential-verified.v1"
    request_id: str
    credential_id: str
    user_id: str
    venue: str
    ok: bool
    permissions: list[str]
    reason: str = ""
    # What the account holds (totals per asset) and how many markets the platform can trade
    # there; empty and 0 when the venue could not say, or in events from before they existed.
    balances: dict[str, Decimal] = {}
    markets: int = 0


class UnknownFillDetected(IntegrationEvent, frozen=True, kw_only=True):
    """Security alert: the venue shows an order on the user's account the platform never sent.

    The key may be in someone else's hands; execution pauses the user's trading.
    """

    TOPIC: ClassVar[str] = "execution.unknown-fill-detected.v1"
    user_id: str
    venue: str
    credential_id: str
    venue_order_id: str
    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    quantity: Decimal


class UserTradingPaused(IntegrationEvent, frozen=True, kw_only=True):
    """Execution stopped placing orders for the user; routing should refuse new ones.

    `reason`: "unknown_fill" or "consecutive_errors".
    """

    TOPIC: ClassVar[str] = "execution.user-trading-paused.v1"
    user_id: str
    reason: str


class UserTradingResumed(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "execution.user-trading-resumed.v1"
    user_id: str


class PositionChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A fill moved the user's net position (quantity < 0 is short; 0 is closed).

    `realised_pnl` is net of every fee paid on the position (in the quote currency) and `fees`
    shows those fees on their own. `realised_delta` is what this fill realised, its fee
    included. `version` counts the fills folded into the position: a reader that may see the
    events out of order keeps the highest version.
    """

    TOPIC: ClassVar[str] = "execution.position-changed.v1"
    position_id: str
    user_id: str
    venue: str
    symbol: str
    quantity: Decimal
    average_entry: Decimal
    realised_pnl: Decimal
    fees: Decimal
    fill_id: str
    status: Literal["open", "closed"]
    realised_delta: Decimal = Decimal(0)
    version: int = 0


BreakerState = Literal["closed", "open", "half_open"]


class VenueHealthChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A venue's breaker changed state, or the periodic health report (every market tick).

    Published straight to the bus like books: a newer report supersedes a lost one.
    """

    TOPIC: ClassVar[str] = "execution.venue-health-changed.v1"
    venue: str
    breaker_state: BreakerState
    success_rate: float
    queue_depth: int
    latency_p50_ms: float
    latency_p99_ms: float


Timeframe = Literal["1m", "5m", "15m", "1h"]


class BarClosed(IntegrationEvent, frozen=True, kw_only=True):
    """A closed OHLCV bar of one venue's market.

    Event id derived from (venue, symbol, timeframe, start).
    """

    TOPIC: ClassVar[str] = "execution.bar-closed.v1"
    venue: str
    symbol: str
    timeframe: Timeframe
    start: datetime  # UTC, aligned to the timeframe
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base units


class BalanceChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A venue account's balances as the venue reported them after a fill or a verification.

    `balances` are totals per asset (free and held by open orders). `equity_usd` values them:
    dollars (USD, USDT, USDC) at par, other assets at the venue's mid; an asset without a USD
    market there is left out. A newer snapshot supersedes an older one (`occurred_at`).
    """

    TOPIC: ClassVar[str] = "execution.balance-changed.v1"
    user_id: str
    venue: str
    credential_id: str
    balances: dict[str, Decimal]
    equity_usd: Decimal


class HistoryBar(msgspec.Struct, frozen=True, array_like=True):
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class BookShape(msgspec.Struct, frozen=True, kw_only=True):
    """A venue's book as a shape around its mid, and what a market order pays there.

    Each level is (distance from the mid as a fraction, size in base units), best first: at mid
    `m` the asks are `m * (1 + d)` rounded up to `price_tick`, the bids `m * (1 - d)` rounded
    down. A simulated venue's book is exactly this shape at every instant (before recent trades
    deplete it); a real venue's is its book when the history was served.
    """

    taker_fee: Decimal
    price_tick: Decimal
    min_quantity: Decimal
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class MarketHistoryServed(IntegrationEvent, frozen=True, kw_only=True):
    """The answer to a `MarketHistoryRequested` (strategy): the closed bars of [start, end),
    oldest first, with the venue's book shape; or no bars and an `error_code`
    (`unknown_venue`, `unknown_symbol`, `history_unavailable`). One request is at most a
    thousand bars, so an answer stays small; a backtest asks again for the bars before `start`.
    Event id derived from the request id."""

    TOPIC: ClassVar[str] = "execution.market-history-served.v1"
    request_id: str
    venue: str
    symbol: str
    timeframe: Timeframe
    start: datetime
    end: datetime
    bars: list[HistoryBar]
    book: BookShape | None = None
    error_code: str | None = None
    error: str | None = None

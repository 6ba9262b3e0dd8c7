"""Strategy's HTTP request and response shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from modules.kernel.bounds import TIMESTAMP_PATTERN, positive_amount, text
from modules.kernel.refusal import Kind, Refused
from modules.strategy.domain.backtest_report import Report

BotStatus = Literal["off", "running", "paused"]
Mode = Literal["paper", "live"]
Timeframe = Literal["1m", "5m", "15m", "1h"]
RiskLevel = Literal["low", "medium", "high"]
StrategyName = Literal["apex_v71"]
Pair = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9]{2,12}/[A-Za-z0-9]{2,12}$",
        max_length=25,
        description="Pair as BASE/QUOTE",
        examples=["BTC/USD"],
    ),
]
Venue = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{2,32}$", max_length=32)]
MAX_USD = Decimal(1_000_000_000)


def _check_usd(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0 or value > MAX_USD:
        raise Refused(
            Kind.INVALID, "invalid_amount", f"{name} must be a positive amount of at most {MAX_USD}"
        )
    # As written, too: "1.000" says more than the cents an amount in USD can carry.
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise Refused(Kind.INVALID, "too_many_decimals", f"{name} has more than 2 decimal places")


class BotSettingsRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The bot's settings; a field left out keeps its current value."""

    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    strategy: StrategyName | msgspec.UnsetType = msgspec.UNSET
    pairs: Annotated[list[Pair], msgspec.Meta(min_length=1, max_length=20)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    venue: Venue | msgspec.UnsetType = msgspec.UNSET
    timeframe: Timeframe | msgspec.UnsetType = msgspec.UNSET
    risk_level: RiskLevel | msgspec.UnsetType = msgspec.UNSET
    max_position_usd: (
        Annotated[Decimal, positive_amount("Cap of one entry, in USD")] | msgspec.UnsetType
    ) = msgspec.UNSET
    equity_usd: (
        Annotated[Decimal, positive_amount("What entries are sized against, in USD")]
        | msgspec.UnsetType
    ) = msgspec.UNSET

    def __post_init__(self) -> None:
        for name in ("max_position_usd", "equity_usd"):
            value = getattr(self, name)
            if value is not msgspec.UNSET:
                _check_usd(name, value)
        if self.pairs is not msgspec.UNSET and len({p.upper() for p in self.pairs}) != len(
            self.pairs
        ):
            raise Refused(Kind.INVALID, "duplicate_pairs", "pairs must not repeat")


class BotPositionView(msgspec.Struct, frozen=True, kw_only=True):
    """A position the bot opened, with what protects it."""

    id: str
    venue: str
    symbol: str
    status: Literal["pending", "open"]
    quantity: Decimal
    remaining: Decimal
    entry_price: Decimal | None
    stop: Decimal
    targets: list[Decimal]
    targets_hit: int
    trailing: bool
    opened_at: datetime


class BotView(msgspec.Struct, frozen=True, kw_only=True):
    status: BotStatus
    paused_reason: str | None
    mode: Mode
    strategy: StrategyName
    pairs: list[str]
    venue: str
    timeframe: Timeframe
    risk_level: RiskLevel
    max_position_usd: Decimal
    # The trader's own figure; entries are sized on `sizing_equity_usd`: the venue account's
    # equity from its latest balances (`equity_source` "venue_balance"), or this figure until
    # the venue has reported any ("settings").
    equity_usd: Decimal
    sizing_equity_usd: Decimal
    equity_source: Literal["venue_balance", "settings"]
    last_signal_at: datetime | None
    open_positions: list[BotPositionView]


class SignalOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order a signal led to: its id (routing's order id) and how it ended for the bot."""

    order_id: str
    kind: str
    status: str
    quantity: Decimal
    filled_quantity: Decimal
    code: str | None = None
    reason: str | None = None


class SignalView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    venue: str
    symbol: str
    timeframe: str
    bar_start: datetime
    action: Literal["entry", "exit", "stop_loss", "profit_take"]
    # Why: every filter and entry condition, the score, indicators, stop, targets, size.
    detail: dict[str, Any]
    orders: list[SignalOrder]
    created_at: datetime


class SignalPage(msgspec.Struct, frozen=True, kw_only=True):
    signals: list[SignalView]
    limit: int
    offset: int


# TradingView alerts ---------------------------------------------------------------------------

TradingViewAction = Literal["buy", "sell", "close"]
HookLabel = Annotated[str, text(64, min_length=1)]


class TradingViewHookRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A new hook: the venue its alerts trade on, and a name for you."""

    venue: Venue
    label: HookLabel | None = None


class TradingViewHookView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    venue: str
    label: str | None
    url: str
    created_at: datetime
    last_alert_at: datetime | None


class TradingViewHookCreated(TradingViewHookView, frozen=True, kw_only=True):
    """The hook with its secret, shown this once: NIJA keeps only a hash of it."""

    secret: str
    # A message to paste into the TradingView alert (placeholders filled in by TradingView).
    alert_message: str


class TradingViewAlertView(msgspec.Struct, frozen=True, kw_only=True):
    """An alert the hook received: `submitted` went to the risk gate as order `order_id` (see
    GET /v1/orders/{id}); `refused` says why in `code` and `reason`."""

    id: int
    received_at: datetime
    action: str
    symbol: str
    side: str | None
    quantity: Decimal | None
    status: Literal["submitted", "refused"]
    order_id: str | None
    code: str | None
    reason: str | None


class TradingViewHookDetail(TradingViewHookView, frozen=True, kw_only=True):
    alerts: list[TradingViewAlertView]


class TradingViewAlertRequest(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """An alert as TradingView posts it (the alert's message, JSON)."""

    secret: Annotated[str, msgspec.Meta(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
    action: TradingViewAction
    symbol: Annotated[
        str,
        msgspec.Meta(
            min_length=2,
            max_length=40,
            pattern=r"^[A-Za-z0-9:/._ -]+$",
            examples=["BTCUSD", "BINANCE:BTCUSDT", "BTC/USD"],
        ),
    ]
    size_usd: (
        Annotated[Decimal, positive_amount("For buy and sell: how much, in USD", nullable=True)]
        | None
    ) = None
    timestamp: (
        Annotated[
            datetime,
            msgspec.Meta(
                tz=True,
                description="When TradingView sent it: {{timenow}}",
                extra_json_schema={"extra": {"max_length": 40, "pattern": TIMESTAMP_PATTERN}},
            ),
        ]
        | None
    ) = None
    max_lag: Annotated[
        int, msgspec.Meta(ge=1, le=600, description="Seconds the timestamp may be off by")
    ] = 60

    def __post_init__(self) -> None:
        if self.size_usd is not None:
            _check_usd("size_usd", self.size_usd)


class TradingViewAccepted(msgspec.Struct, frozen=True, kw_only=True):
    received: bool
    order_id: str


# ---- backtests --------------------------------------------------------------------------

BacktestStatus = Literal["queued", "running", "done", "failed"]


class BacktestRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A backtest of the bot's strategy over a venue's recent history."""

    strategy: StrategyName = "apex_v71"
    symbol: Pair
    venue: Venue
    timeframe: Timeframe = "5m"
    days: Annotated[
        int, msgspec.Meta(ge=1, le=90, description="Days of bars traded (the warm-up is extra)")
    ]
    equity_usd: (
        Annotated[Decimal, positive_amount("Starting equity, what entries are sized on")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    risk_level: RiskLevel | msgspec.UnsetType = msgspec.UNSET
    max_position_usd: (
        Annotated[Decimal, positive_amount("Cap of one entry, in USD")] | msgspec.UnsetType
    ) = msgspec.UNSET
    end: (
        Annotated[
            datetime,
            msgspec.Meta(
                description="End of the history (UTC); the venue's clock if left out",
                extra_json_schema={"extra": {"max_length": 40, "pattern": TIMESTAMP_PATTERN}},
            ),
        ]
        | None
    ) = None

    def __post_init__(self) -> None:
        for name in ("max_position_usd", "equity_usd"):
            value = getattr(self, name)
            if value is not msgspec.UNSET:
                _check_usd(name, value)


class BacktestAccepted(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: BacktestStatus


class BacktestParams(msgspec.Struct, frozen=True, kw_only=True):
    strategy: StrategyName
    venue: str
    symbol: str
    timeframe: Timeframe
    days: int
    equity_usd: Decimal
    risk_level: RiskLevel
    max_position_usd: Decimal
    end: datetime | None
    window_bars: int


class BacktestView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: BacktestStatus
    params: BacktestParams
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None = None
    error: str | None = None
    # Trades, win rate, net P&L after fees, drawdown, profit factor, Sharpe, exposure and the
    # equity curve; see the README's "Backtests".
    report: Report | None = None

"""Strategy's HTTP request and response shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

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
        raise ValueError(f"{name} must be a positive amount of at most {MAX_USD}")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{name} has more than 2 decimal places")


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
        Annotated[Decimal, msgspec.Meta(description="Cap of one entry, in USD")] | msgspec.UnsetType
    ) = msgspec.UNSET
    equity_usd: (
        Annotated[Decimal, msgspec.Meta(description="What entries are sized against, in USD")]
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
            raise ValueError("pairs must not repeat")


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
    equity_usd: Decimal
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
        Annotated[Decimal, msgspec.Meta(description="Starting equity, what entries are sized on")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    risk_level: RiskLevel | msgspec.UnsetType = msgspec.UNSET
    max_position_usd: Decimal | msgspec.UnsetType = msgspec.UNSET
    end: (
        Annotated[
            datetime,
            msgspec.Meta(description="End of the history (UTC); the venue's clock if left out"),
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

"""What the traders' screens receive: overview, positions, activity, statistics, savings.

Money is a decimal string; percentages are percent (`12.5` is 12.5 %), to two decimals. A
figure that cannot be had (a percentage of nothing, a ratio without a divisor) is null.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

ActivityType = Literal["trade", "close", "bot", "security"]


class PeriodFigures(msgspec.Struct, kw_only=True):
    """One period: realised P&L net of fees, as a percentage of the equity the venues reported
    at its start, fills, positions closed, and the share of those that made money."""

    pnl: Decimal
    pnl_pct: Decimal | None
    trades: int
    closed: int
    win_rate: Decimal | None
    fees: Decimal


class Periods(msgspec.Struct, kw_only=True):
    """Today, the last 7 and 30 days (today included) and all time, in the trader's zone."""

    today: PeriodFigures
    last_7d: PeriodFigures = msgspec.field(name="7d")
    last_30d: PeriodFigures = msgspec.field(name="30d")
    all: PeriodFigures


class BalanceView(msgspec.Struct, kw_only=True):
    venue: str
    equity_usd: Decimal
    balances: dict[str, Decimal]
    reported_at: datetime
    revision: int


class BotStatusView(msgspec.Struct, kw_only=True):
    """The bot's status as strategy last said it (`off` until it has said anything)."""

    status: Literal["off", "running", "paused"]
    previous: str | None
    reason: str | None
    changed_at: datetime | None
    revision: int


class StrategyBlock(msgspec.Struct, kw_only=True):
    """Why and how the bot holds a position: its signal and, as the bot last said, its stop,
    targets and trailing."""

    signal_id: str | None
    signal: str | None
    timeframe: str | None
    signal_at: datetime | None
    entry_score: int | None
    conditions: list[str]
    stop: Decimal
    targets: list[Decimal]
    targets_hit: int
    trailing: bool
    bot_status: str
    close_reason: str | None


class PositionCard(msgspec.Struct, kw_only=True):
    """A position from open to close. `id` is execution's position id (the one
    `POST /v1/positions/{id}/close` takes); `cycle` names this position among those the same
    venue and symbol had (the version of execution's position that opened it)."""

    id: str
    cycle: int
    venue: str
    symbol: str
    side: Literal["long", "short"]
    status: Literal["open", "closed"]
    size: Decimal
    entry_price: Decimal
    current_price: Decimal
    amount: Decimal
    value: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    pnl: Decimal
    pnl_pct: Decimal | None
    fees: Decimal
    opened_at: datetime
    closed_at: datetime | None
    duration_seconds: int
    exit_reason: str | None
    revision: int


class PositionDetail(PositionCard, kw_only=True):
    marked_at: datetime | None
    entry_order_id: str | None
    exit_order_id: str | None
    strategy: StrategyBlock | None


class PositionSummary(msgspec.Struct, kw_only=True):
    open: int
    closed: int
    value: Decimal
    unrealised: Decimal


class PositionPage(msgspec.Struct, kw_only=True):
    items: list[PositionCard]
    next_cursor: str | None
    summary: PositionSummary


class ChartPoint(msgspec.Struct):
    """A bar's start and close."""

    t: datetime
    price: Decimal


class PositionChart(msgspec.Struct, kw_only=True):
    position_id: str
    cycle: int
    range: str
    timeframe: str | None
    start: datetime
    end: datetime
    points: list[ChartPoint]
    entry: Decimal
    exit: Decimal | None
    stop: Decimal | None
    targets: list[Decimal]


class ActivityItem(msgspec.Struct, kw_only=True):
    """One line of activity. A fill is a `trade`, or a `close` when it ended a position (then
    `pnl` is that position's, net of all its fees); `realised_pnl` is what the fill itself
    realised net of its own fee. `bot` items carry the status change, `security` ones their
    kind (in `status`)."""

    id: str
    type: ActivityType
    at: datetime
    venue: str | None = None
    symbol: str | None = None
    side: str | None = None
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    order_id: str | None = None
    client_order_id: str | None = None
    position_id: str | None = None
    cycle: int | None = None
    realised_pnl: Decimal | None = None
    pnl: Decimal | None = None
    pnl_pct: Decimal | None = None
    exit_reason: str | None = None
    status: str | None = None
    previous: str | None = None
    reason: str | None = None
    revision: int = 1


class ActivityPage(msgspec.Struct, kw_only=True):
    items: list[ActivityItem]
    next_cursor: str | None


class Overview(msgspec.Struct, kw_only=True):
    timezone: str
    bot: BotStatusView
    equity_usd: Decimal
    balances: list[BalanceView]
    pnl: Periods
    unrealised_pnl: Decimal
    open_positions: list[PositionCard]
    last_trade: ActivityItem | None
    activity: list[ActivityItem]


class DayStats(msgspec.Struct, kw_only=True):
    date: date
    trades: int
    volume: Decimal
    fees: Decimal
    pnl: Decimal
    closed: int
    wins: int
    losses: int


class DailyStatistics(msgspec.Struct, kw_only=True):
    timezone: str
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
    days: list[DayStats]


class DayPnl(msgspec.Struct):
    date: date
    pnl: Decimal


class EquityPoint(msgspec.Struct):
    """The equity at the end of `date`."""

    date: date
    equity: Decimal


class Performance(msgspec.Struct, kw_only=True):
    period: str
    timezone: str
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")
    trades: int
    closed: int
    wins: int
    losses: int
    win_rate: Decimal | None
    profit_factor: Decimal | None
    sharpe: Decimal | None
    max_drawdown: Decimal
    max_drawdown_pct: Decimal | None
    fees: Decimal
    net_pnl: Decimal
    gross_profit: Decimal
    gross_loss: Decimal
    starting_equity: Decimal | None
    daily_pnl: list[DayPnl]
    equity_curve: list[EquityPoint]


class SavingView(msgspec.Struct, kw_only=True):
    """One order placed: what routing expected its routes to cost against the cheapest single
    venue for the whole of it, at decision time (`savings` = that less the routes' cost)."""

    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    venues: list[str]
    routed_at: datetime
    route_cost: Decimal | None
    best_single_venue: str | None
    best_single_cost: Decimal | None
    savings: Decimal | None


class SavingsTotal(msgspec.Struct, kw_only=True):
    """Over every order with both figures."""

    orders: int
    route_cost: Decimal
    best_single_cost: Decimal
    savings: Decimal


class RoutingSavings(msgspec.Struct, kw_only=True):
    total: SavingsTotal
    items: list[SavingView]
    next_cursor: str | None

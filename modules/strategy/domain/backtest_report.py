"""A backtest's report: its trades, the equity curve and the metrics drawn from them.

Conventions, over the bars of the test (warm-up excluded):

* `net_pnl` is the final equity less the starting equity: every trade's P&L after both fees.
* `win_rate` is the share of trades with a positive P&L; `profit_factor` the winners' total
  over the losers' (absolute) total, null without a losing trade.
* `max_drawdown` is the largest fall of equity from its running peak (the starting equity is
  the first peak), in USD; `max_drawdown_pct` that fall over the peak it fell from.
* `sharpe` is annualised from per-bar returns: each bar's simple return of equity marked at its
  close, mean over sample standard deviation, times the square root of the bars in a year of
  24/7 trading (`periods_per_year`); risk-free rate 0; null when equity never moved.
* `exposure` is the share of bars that ended holding a position.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import msgspec

MONEY = Decimal("0.00000001")
RATIO = Decimal("0.0001")
YEAR_SECONDS = 365 * 24 * 3600


class ExitFill(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    reason: str  # stop_loss, profit_take, opposite_signal, ema_cross, end_of_test
    quantity: Decimal
    price: Decimal
    fee: Decimal


class TradeRecord(msgspec.Struct, frozen=True, kw_only=True):
    entry_time: datetime
    entry_price: Decimal
    quantity: Decimal
    exit_time: datetime  # of the last exit
    exit_price: Decimal  # quantity-weighted over the exits
    exit_reason: str  # of the last exit
    fees: Decimal  # entry and exits
    pnl: Decimal  # proceeds less cost less fees
    exits: list[ExitFill]


class Point(msgspec.Struct, frozen=True, array_like=True):
    """[time, equity] on the wire: a month of five-minute bars is 8,640 of them."""

    at: datetime
    equity: Decimal


class Report(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None
    end: datetime | None
    bars: int
    starting_equity: Decimal
    final_equity: Decimal
    trades: list[TradeRecord]
    trade_count: int
    wins: int
    win_rate: Decimal | None
    gross_profit: Decimal
    gross_loss: Decimal
    fees: Decimal
    net_pnl: Decimal
    profit_factor: Decimal | None
    max_drawdown: Decimal
    max_drawdown_pct: Decimal
    sharpe: Decimal | None
    periods_per_year: int
    exposure: Decimal
    equity_curve: list[Point]


def drawdown(starting: Decimal, equities: list[Decimal]) -> tuple[Decimal, Decimal]:
    """(largest fall from a running peak, that fall over its peak)."""
    peak, worst, worst_pct = starting, Decimal(0), Decimal(0)
    for equity in equities:
        peak = max(peak, equity)
        fall = peak - equity
        if fall > worst:
            worst = fall
        if peak > 0 and fall / peak > worst_pct:
            worst_pct = fall / peak
    return worst, worst_pct


def sharpe(starting: Decimal, equities: list[Decimal], periods_per_year: int) -> Decimal | None:
    returns: list[Decimal] = []
    previous = starting
    for equity in equities:
        if previous > 0:
            returns.append(equity / previous - 1)
        previous = equity
    if len(returns) < 2:
        return None
    mean = sum(returns, Decimal(0)) / len(returns)
    variance = sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (len(returns) - 1)
    if variance == 0:
        return None
    return (mean / variance.sqrt() * Decimal(periods_per_year).sqrt()).quantize(RATIO)


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole)).quantize(RATIO)


def report_of(
    *,
    trades: list[TradeRecord],
    curve: list[Point],
    starting_equity: Decimal,
    bars_held: int,
    bar_seconds: int,
) -> Report:
    equities = [p.equity for p in curve]
    final = equities[-1] if equities else starting_equity
    pnls = [t.pnl for t in trades]
    gross_profit = sum((p for p in pnls if p > 0), Decimal(0))
    gross_loss = -sum((p for p in pnls if p < 0), Decimal(0))
    wins = sum(1 for p in pnls if p > 0)
    worst, worst_pct = drawdown(starting_equity, equities)
    per_year = YEAR_SECONDS // bar_seconds
    return Report(
        start=curve[0].at - timedelta(seconds=bar_seconds) if curve else None,
        end=curve[-1].at if curve else None,
        bars=len(curve),
        starting_equity=starting_equity,
        final_equity=final.quantize(MONEY),
        trades=trades,
        trade_count=len(trades),
        wins=wins,
        win_rate=_ratio(wins, len(trades)),
        gross_profit=gross_profit.quantize(MONEY),
        gross_loss=gross_loss.quantize(MONEY),
        fees=sum((t.fees for t in trades), Decimal(0)).quantize(MONEY),
        net_pnl=(final - starting_equity).quantize(MONEY),
        profit_factor=_ratio(gross_profit, gross_loss),
        max_drawdown=worst.quantize(MONEY),
        max_drawdown_pct=worst_pct.quantize(RATIO),
        sharpe=sharpe(starting_equity, equities, per_year),
        periods_per_year=per_year,
        exposure=_ratio(bars_held, len(curve)) or Decimal(0),
        equity_curve=[Point(p.at, p.equity.quantize(MONEY)) for p in curve],
    )

"""Trading statistics over days: win rate, profit factor, Sharpe, drawdown, the equity curve.

Conventions (the README's "API for the screens" states them for traders):

- a *trade* is a fill at the venue; P&L is realised P&L net of fees (each fill's, on the day of
  the fill, in the trader's time zone); fees are in the quote currency;
- wins and losses are positions *closed* on a day, by their P&L net of every fee paid on them
  (one closed at exactly zero is neither), so win rate = wins / closed positions;
- profit factor = what winners made / what losers lost (None without a loser);
- the equity curve starts at the equity the venues reported at the period's start and adds
  each day's P&L; Sharpe is the mean over the sample standard deviation of daily returns (a
  day's P&L over the equity it began with), every day of the period counted (a day without
  trades returns 0), times the square root of 365 (crypto trades every day), risk-free rate 0;
- max drawdown is the largest fall of that curve from a peak, in USD and as a percentage of
  the peak.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

import msgspec

from modules.dashboard.domain.days import days
from modules.dashboard.domain.positions import percent

_ZERO = Decimal(0)
RATIO_STEP = Decimal("0.0001")
_DAYS_A_YEAR = Decimal(365)


class DayFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One local day of one trader (a `daily` row)."""

    day: date
    trades: int = 0
    volume: Decimal = _ZERO
    fees: Decimal = _ZERO
    pnl: Decimal = _ZERO
    closed: int = 0
    wins: int = 0
    losses: int = 0
    won: Decimal = _ZERO
    lost: Decimal = _ZERO


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    trades: int = 0
    volume: Decimal = _ZERO
    fees: Decimal = _ZERO
    pnl: Decimal = _ZERO
    closed: int = 0
    wins: int = 0
    losses: int = 0
    won: Decimal = _ZERO
    lost: Decimal = _ZERO


class Curve(msgspec.Struct, frozen=True, kw_only=True):
    equity: list[Decimal]  # at the end of each day
    max_drawdown: Decimal
    max_drawdown_pct: Decimal | None
    sharpe: Decimal | None


def zero_filled(rows: Iterable[DayFigures], first: date, last: date) -> list[DayFigures]:
    """One entry per day from `first` to `last`, a day without a row as zeros."""
    by_day = {row.day: row for row in rows}
    return [by_day.get(day, DayFigures(day=day)) for day in days(first, last)]


def totals(rows: Iterable[DayFigures]) -> Totals:
    items = list(rows)
    return Totals(
        trades=sum(r.trades for r in items),
        volume=sum((r.volume for r in items), _ZERO),
        fees=sum((r.fees for r in items), _ZERO),
        pnl=sum((r.pnl for r in items), _ZERO),
        closed=sum(r.closed for r in items),
        wins=sum(r.wins for r in items),
        losses=sum(r.losses for r in items),
        won=sum((r.won for r in items), _ZERO),
        lost=sum((r.lost for r in items), _ZERO),
    )


def win_rate(wins: int, closed: int) -> Decimal | None:
    """Wins as a percentage of positions closed (None when none closed)."""
    return percent(Decimal(wins), Decimal(closed))


def profit_factor(won: Decimal, lost: Decimal) -> Decimal | None:
    """What winners made over what losers lost; None without a loss to divide by."""
    if lost <= 0:
        return None
    return (won / lost).quantize(RATIO_STEP)


def equity_curve(start: Decimal, pnls: Sequence[Decimal]) -> list[Decimal]:
    curve, equity = [], start
    for pnl in pnls:
        equity += pnl
        curve.append(equity)
    return curve


def max_drawdown(start: Decimal, curve: Sequence[Decimal]) -> tuple[Decimal, Decimal | None]:
    """The largest fall from a peak (the start counts as one), and that fall as a percentage
    of its peak (None when the peak was not positive)."""
    peak, worst, worst_pct = start, _ZERO, None
    for equity in curve:
        peak = max(peak, equity)
        fall = peak - equity
        if fall > worst:
            worst, worst_pct = fall, percent(fall, peak)
    return worst, worst_pct


def sharpe(start: Decimal, pnls: Sequence[Decimal]) -> Decimal | None:
    """Annualised Sharpe ratio of daily returns; None with fewer than two days, no
    variation, or a day that began without positive equity (a return cannot be taken)."""
    returns: list[Decimal] = []
    equity = start
    for pnl in pnls:
        if equity <= 0:
            return None
        returns.append(pnl / equity)
        equity += pnl
    if len(returns) < 2:
        return None
    mean = sum(returns, _ZERO) / len(returns)
    variance = sum(((r - mean) ** 2 for r in returns), _ZERO) / (len(returns) - 1)
    if variance == 0:
        return None
    return (mean / variance.sqrt() * _DAYS_A_YEAR.sqrt()).quantize(RATIO_STEP)


def curve(start: Decimal | None, pnls: Sequence[Decimal]) -> Curve:
    """The equity curve and its statistics; without a known starting equity the curve is the
    cumulative P&L from 0 and Sharpe cannot be taken."""
    base = _ZERO if start is None else start
    equity = equity_curve(base, pnls)
    fall, fall_pct = max_drawdown(base, equity)
    return Curve(
        equity=equity,
        max_drawdown=fall,
        max_drawdown_pct=fall_pct,
        sharpe=None if start is None else sharpe(start, pnls),
    )

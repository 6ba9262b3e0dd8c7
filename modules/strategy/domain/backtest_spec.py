"""What a backtest is asked to do, its bounds, and how much history it needs.

A backtest over `days` trades the last `days` of closed bars before `end` (the venue's market
clock when not given); before them it reads `window_bars` more bars, the window the live bot
keeps, so the indicators on the first traded bar are the ones the live bot would have had.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from modules.kernel.refusal import Kind, Refused
from modules.strategy.domain.backtest import Params
from modules.strategy.domain.bars import TIMEFRAMES, Bar

MAX_DAYS = 90
# Ninety days of five-minute bars: a one-minute backtest may cover eighteen days.
MAX_BARS = 25_920
DAY_SECONDS = 86_400


class Spec(msgspec.Struct, frozen=True, kw_only=True):
    strategy: str
    venue: str
    symbol: str
    timeframe: str
    days: int
    equity_usd: Decimal
    risk_level: str
    max_position_usd: Decimal
    end: datetime | None = None
    window_bars: int = 200


def bars_per_day(timeframe: str) -> int:
    return DAY_SECONDS // int(TIMEFRAMES[timeframe].total_seconds())


def check(spec: Spec) -> None:
    if not 1 <= spec.days <= MAX_DAYS:
        raise Refused(Kind.INVALID, "backtest_days", f"days must be 1 to {MAX_DAYS}")
    if spec.days * bars_per_day(spec.timeframe) > MAX_BARS:
        most = MAX_BARS // bars_per_day(spec.timeframe)
        raise Refused(
            Kind.INVALID,
            "backtest_too_long",
            f"at most {MAX_BARS} bars: {most} days of {spec.timeframe} bars",
        )
    if spec.end is not None and spec.end.tzinfo is None:
        raise Refused(Kind.INVALID, "backtest_end", "end needs a time zone (e.g. Z)")


def bars_wanted(spec: Spec) -> int:
    """Bars of history the backtest reads: the days traded and the warm-up before them."""
    return spec.days * bars_per_day(spec.timeframe) + spec.window_bars


def assemble(parts: list[list[Bar]]) -> list[Bar]:
    """The parts' bars as one series, oldest first, each start once."""
    by_start = {bar.start: bar for part in parts for bar in part}
    return [by_start[start] for start in sorted(by_start)]


def params_for(spec: Spec, bars: list[Bar]) -> Params:
    """The engine's parameters over `bars`: trading starts after the warm-up window."""
    if len(bars) <= spec.window_bars:
        raise Refused(
            Kind.CONFLICT,
            "not_enough_history",
            f"the venue served {len(bars)} bars; the warm-up alone takes {spec.window_bars}",
        )
    return Params(
        timeframe=spec.timeframe,
        start=bars[spec.window_bars].start,
        equity_usd=spec.equity_usd,
        risk_level=spec.risk_level,
        max_position_usd=spec.max_position_usd,
        window_bars=spec.window_bars,
    )

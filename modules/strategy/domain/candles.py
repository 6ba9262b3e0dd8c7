"""Candle patterns APEX counts as a reversal into the trade's direction."""

from __future__ import annotations

from modules.strategy.domain.bars import Bar


def bullish_engulfing(previous: Bar, bar: Bar) -> bool:
    """A down bar whose body the next up bar's body covers."""
    return (
        previous.close < previous.open
        and bar.close > bar.open
        and bar.open <= previous.close
        and bar.close >= previous.open
    )


def bearish_engulfing(previous: Bar, bar: Bar) -> bool:
    return (
        previous.close > previous.open
        and bar.close < bar.open
        and bar.open >= previous.close
        and bar.close <= previous.open
    )


def hammer(bar: Bar) -> bool:
    """A small body at the top of the range: a lower shadow at least twice the body, an upper
    shadow no longer than the body (sellers pushed down, buyers took it back)."""
    body = abs(bar.close - bar.open)
    lower = min(bar.open, bar.close) - bar.low
    upper = bar.high - max(bar.open, bar.close)
    return bar.high > bar.low and lower >= 2 * body and upper <= body and lower > 0


def shooting_star(bar: Bar) -> bool:
    """The hammer mirrored: a small body at the bottom of the range, a long upper shadow."""
    body = abs(bar.close - bar.open)
    lower = min(bar.open, bar.close) - bar.low
    upper = bar.high - max(bar.open, bar.close)
    return bar.high > bar.low and upper >= 2 * body and lower <= body and upper > 0

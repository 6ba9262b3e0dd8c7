"""Crafted bar series for the bot's tests: a zig-zag uptrend whose last bar is an APEX entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from modules.strategy.domain.bars import Bar

# Far ahead of the live market: the simulated venues' own bars are always older, so late.
T0 = datetime(2099, 1, 1, tzinfo=UTC)


def bar(
    i: int,
    o: float,
    h: float,
    low: float,
    c: float,
    v: float = 100,
    *,
    scale: float = 1.0,
    minutes: int = 5,
) -> Bar:
    def d(x: float) -> Decimal:
        return Decimal(str(round(x * scale, 6)))

    return Bar(
        start=T0 + timedelta(minutes=minutes * i),
        open=d(o),
        high=d(h),
        low=d(low),
        close=d(c),
        volume=Decimal(str(v)),
    )


def uptrend(n: int = 79, *, scale: float = 1.0) -> list[Bar]:
    """Three bars up 0.5, two down 0.4, repeated from 100: a steady, trending market."""
    bars, p = [], 100.0
    for i in range(n):
        c = p - 0.4 if i % 5 >= 3 else p + 0.5
        bars.append(bar(i, p, max(p, c) + 0.2, min(p, c) - 0.2, c, scale=scale))
        p = c
    return bars


def entry_series(*, scale: float = 1.0) -> list[Bar]:
    """The uptrend, then an up bar that engulfs the last down bar on more volume: a long entry
    (filter holds; 4 of 5 conditions: RSI turning up, the candle, MACD rising, volume)."""
    bars = uptrend(scale=scale)
    p = float(bars[-1].close) / scale
    bars.append(bar(len(bars), p - 0.05, p + 0.8, p - 0.3, p + 0.7, 110, scale=scale))
    return bars


def downtrend(n: int = 79) -> list[Bar]:
    """The uptrend mirrored around 200."""
    return [
        Bar(
            start=b.start,
            open=200 - b.open,
            high=200 - b.low,
            low=200 - b.high,
            close=200 - b.close,
            volume=b.volume,
        )
        for b in uptrend(n)
    ]

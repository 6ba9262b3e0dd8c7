"""Bars and the rolling window of the latest bars of one (venue, symbol, timeframe)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal

import msgspec

TIMEFRAMES: dict[str, timedelta] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
}


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class BarKey(msgspec.Struct, frozen=True):
    venue: str
    symbol: str
    timeframe: str


class BarWindow:
    """The last `size` bars of one key, oldest first; a bar with a start already held replaces
    it (a redelivered or corrected bar), and a gap says the window must be reloaded."""

    def __init__(self, timeframe: str, size: int, bars: list[Bar] | None = None) -> None:
        self._step = TIMEFRAMES[timeframe]
        self._bars: deque[Bar] = deque(self._contiguous(bars or []), maxlen=size)

    def _contiguous(self, bars: list[Bar]) -> list[Bar]:
        """The run of bars that ends with the newest and has no gap: indicators over bars on
        both sides of a hole (a stopped feed, a replayed series) would mix two markets."""
        start = len(bars) - 1
        while start > 0 and bars[start].start - bars[start - 1].start == self._step:
            start -= 1
        return bars[max(start, 0) :]

    @property
    def bars(self) -> list[Bar]:
        return list(self._bars)

    def follows(self, bar: Bar) -> bool:
        """Whether `bar` extends (or repeats the last of) this window without a gap."""
        if not self._bars:
            return False
        last = self._bars[-1].start
        return bar.start in (last, last + self._step)

    def add(self, bar: Bar) -> None:
        if self._bars and self._bars[-1].start == bar.start:
            self._bars[-1] = bar
        else:
            self._bars.append(bar)

"""OHLCV bars: timeframes, alignment, composing short bars into long ones, and which closed bars
are due for publishing.

Times are unix seconds (or UTC datetimes at the edges); a bar starts at a multiple of its
timeframe and is closed once its end has passed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

import msgspec

from modules.execution.domain.ids import EVENT_NAMESPACE

Timeframe = Literal["1m", "5m", "15m", "1h"]
TIMEFRAME_SECONDS: dict[Timeframe, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600}
TIMEFRAMES: tuple[Timeframe, ...] = ("1m", "5m", "15m", "1h")


class Bar(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    timeframe: Timeframe
    start: datetime  # UTC, aligned to the timeframe
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # base units


def seconds(timeframe: Timeframe) -> int:
    return TIMEFRAME_SECONDS[timeframe]


def align(t: float, timeframe: Timeframe) -> int:
    """The start of the bar that `t` falls in."""
    step = seconds(timeframe)
    return math.floor(t / step) * step


def utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def bar_starts(start: float, end: float, now: float, timeframe: Timeframe) -> range:
    """Starts of the closed bars beginning in [start, end) by `now`."""
    step = seconds(timeframe)
    first = -(-math.ceil(start) // step) * step
    last_closed = align(now, timeframe) - step
    stop = min(math.ceil(end), last_closed + 1)
    return range(first, max(first, stop), step)


def due_starts(last: int | None, now: float, timeframe: Timeframe, cap: int) -> list[int]:
    """Starts of the bars closed since the bar `last` was published, oldest first.

    A key never published (a fresh process) gets only the bar that just closed, not the whole
    history; a worker that fell behind gets at most the `cap` latest.
    """
    step = seconds(timeframe)
    latest = align(now, timeframe) - step
    if last is None:
        return [latest]
    if latest <= last:
        return []
    first = max(last + step, latest - (cap - 1) * step)
    return list(range(first, latest + 1, step))


def compose(parts: Sequence[Bar], timeframe: Timeframe, start: datetime) -> Bar:
    """One bar of `timeframe` from its consecutive shorter bars, oldest first."""
    return Bar(
        symbol=parts[0].symbol,
        timeframe=timeframe,
        start=start,
        open=parts[0].open,
        high=max(p.high for p in parts),
        low=min(p.low for p in parts),
        close=parts[-1].close,
        volume=sum((p.volume for p in parts), Decimal(0)),
    )


def bar_event_id(venue: str, symbol: str, timeframe: Timeframe, start: datetime) -> str:
    """The same bar always gets the same event id, so a second publish is deduped downstream."""
    key = f"bar:{venue}:{symbol}:{timeframe}:{start.astimezone(UTC).isoformat()}"
    return str(uuid.uuid5(EVENT_NAMESPACE, key))

"""Serving a venue's history to a backtest: which span of bars, and the venue's book as a shape
around its mid."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.execution.domain.bars import Timeframe, align, seconds
from modules.execution.domain.venue import Book

# The most one request gets: a thousand bars (about 80 kB of JSON, well under any broker's
# message limit) spanning at most two days (a simulated venue builds each minute of market from
# sixty samples: about two seconds of CPU, well inside a delivery's timeout).
MAX_BARS = 1000
MAX_SPAN_SECONDS = 2 * 86400


class Shape(msgspec.Struct, frozen=True, kw_only=True):
    """(distance from the mid as a fraction, size), best first, per side; the tick prices are
    rounded to and the smallest order the venue takes."""

    price_tick: Decimal
    min_quantity: Decimal
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]


def span(end: float | None, now: float, timeframe: Timeframe, bars: int) -> tuple[int, int]:
    """[start, end) of the `bars` bars closed by `end`, never later than `now` (a bar still
    under way is not history), as many as one request gets."""
    step = seconds(timeframe)
    stop = align(now if end is None else min(end, now), timeframe)
    return stop - max(min(bars, MAX_BARS, MAX_SPAN_SECONDS // step), 0) * step, stop


def shape_of(book: Book, price_tick: Decimal, min_quantity: Decimal) -> Shape | None:
    """A snapshot's levels relative to its mid (a real venue's shape); None for an empty side."""
    if not book.bids or not book.asks:
        return None
    mid = (book.bids[0].price + book.asks[0].price) / 2
    return Shape(
        price_tick=price_tick,
        min_quantity=min_quantity,
        bids=tuple((1 - level.price / mid, level.size) for level in book.bids),
        asks=tuple((level.price / mid - 1, level.size) for level in book.asks),
    )

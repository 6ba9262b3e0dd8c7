"""Bars: alignment, which closed bars are due, composing, event ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from modules.execution.domain.bars import (
    Bar,
    align,
    bar_event_id,
    bar_starts,
    compose,
    due_starts,
    utc,
)

D = Decimal
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z, a multiple of every timeframe


def _bar(start: int, o: str, h: str, low: str, c: str, v: str) -> Bar:
    return Bar(
        symbol="BTC/USD",
        timeframe="1m",
        start=utc(start),
        open=D(o),
        high=D(h),
        low=D(low),
        close=D(c),
        volume=D(v),
    )


def test_a_time_falls_in_the_bar_starting_at_the_last_multiple_of_its_timeframe() -> None:
    assert align(T0 + 59.9, "1m") == T0
    assert align(T0 + 60, "1m") == T0 + 60
    assert align(T0 + 899, "15m") == T0
    assert align(T0 + 3600 * 5 + 1, "1h") == T0 + 3600 * 5
    assert utc(T0) == datetime(2024, 1, 1, tzinfo=UTC)


def test_only_closed_bars_are_listed_in_a_range() -> None:
    assert list(bar_starts(T0, T0 + 600, T0 + 600, "1m")) == [T0 + 60 * i for i in range(10)]
    # The bar under way at `now` is not closed yet.
    assert list(bar_starts(T0, T0 + 600, T0 + 150, "1m")) == [T0, T0 + 60]
    # A start inside a bar begins with the next whole one.
    assert list(bar_starts(T0 + 1, T0 + 600, T0 + 600, "5m")) == [T0 + 300]
    assert list(bar_starts(T0, T0 + 600, T0 + 299, "5m")) == []


def test_a_fresh_key_gets_only_the_bar_that_just_closed() -> None:
    assert due_starts(None, T0 + 3 * 3600 + 10, "1h", cap=100) == [T0 + 2 * 3600]


def test_nothing_is_due_until_the_next_bar_closes() -> None:
    assert due_starts(T0, T0 + 119.9, "1m", cap=100) == []
    assert due_starts(T0, T0 + 120, "1m", cap=100) == [T0 + 60]


def test_a_worker_that_fell_behind_publishes_every_missed_bar_up_to_the_cap() -> None:
    assert due_starts(T0, T0 + 60 * 5 + 1, "1m", cap=100) == [T0 + 60 * i for i in (1, 2, 3, 4)]
    assert due_starts(T0, T0 + 60 * 500, "1m", cap=3) == [T0 + 60 * i for i in (497, 498, 499)]


def test_a_long_bar_is_composed_of_its_short_ones() -> None:
    parts = [
        _bar(T0, "10", "12", "9", "11", "1.5"),
        _bar(T0 + 60, "11", "15", "10", "14", "2"),
        _bar(T0 + 120, "14", "14", "8", "9", "0.25"),
    ]
    bar = compose(parts, "5m", utc(T0))
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        D(10),
        D(15),
        D(8),
        D(9),
        D("3.75"),
    )
    assert bar.timeframe == "5m" and bar.start == utc(T0)


def test_a_bar_has_one_event_id_whoever_computes_it() -> None:
    first = bar_event_id("kraken", "BTC/USD", "1m", utc(T0))
    assert first == bar_event_id("kraken", "BTC/USD", "1m", datetime(2024, 1, 1, tzinfo=UTC))
    others = {
        bar_event_id("binance", "BTC/USD", "1m", utc(T0)),
        bar_event_id("kraken", "ETH/USD", "1m", utc(T0)),
        bar_event_id("kraken", "BTC/USD", "5m", utc(T0)),
        bar_event_id("kraken", "BTC/USD", "1m", utc(T0 + 60)),
    }
    assert first not in others and len(others) == 4

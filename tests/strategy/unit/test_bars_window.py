"""The rolling window of one pair's bars."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.strategy.domain.bars import BarWindow
from tests.strategy.series import bar, uptrend


def test_the_window_keeps_the_last_bars_and_says_when_a_bar_is_missing() -> None:
    bars = uptrend(12)
    window = BarWindow("5m", 10, bars[:5])
    assert window.follows(bars[5]) and not window.follows(bars[6])
    for b in bars[5:]:
        window.add(b)
    assert window.bars == bars[2:]


def test_a_repeated_bar_replaces_the_last_one() -> None:
    bars = uptrend(3)
    window = BarWindow("5m", 10, bars)
    corrected = msgspec.structs.replace(bars[-1], volume=Decimal(7))
    assert window.follows(corrected)
    window.add(corrected)
    assert window.bars == [*bars[:2], corrected]


def test_an_empty_window_follows_nothing() -> None:
    assert not BarWindow("1m", 5).follows(bar(0, 1, 2, 0.5, 1.5, minutes=1))


def test_a_window_loaded_across_a_gap_keeps_only_the_run_ending_with_the_newest_bar() -> None:
    bars = uptrend(12)
    window = BarWindow("5m", 20, [*bars[:3], *bars[6:]])  # bars 3-5 never arrived
    assert window.bars == bars[6:]

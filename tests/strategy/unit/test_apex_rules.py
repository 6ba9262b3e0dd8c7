"""APEX v7.1, rule by rule: the market filter, each entry condition, the skip, the score, the
stop and targets, the exits, on crafted indicator values and crafted bar series."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import msgspec
import pytest

from modules.strategy.domain import apex
from modules.strategy.domain.bars import Bar
from modules.strategy.domain.indicators import MIN_BARS, Indicators, compute, session_vwap
from tests.strategy.series import T0, bar, downtrend, entry_series, uptrend

# A long-friendly bar: every filter and every entry condition holds.
BASE = Indicators(
    close=D(100),
    vwap=D("99.8"),
    ema9=D("100.5"),
    ema21=D("99.9"),
    ema50=D(98),
    ema9_prev=D("100.4"),
    ema21_prev=D("99.8"),
    rsi=D(55),
    rsi_prev=D(50),
    macd_hist=D("0.3"),
    macd_hist_prev=D("0.2"),
    adx=D(28),
    atr=D(2),
    volume=D(100),
    volume_mean5=D(100),
    volume_mean2=D(100),
    volume_mean20=D(100),
    swing_low=D(97),
    swing_high=D(103),
)
DOWN = bar(0, 101, 101.2, 99.5, 99.8)  # a down bar
ENGULF = bar(1, 99.7, 101.5, 99.5, 101.3)  # an up bar covering it


def ind(**changes: Any) -> Indicators:
    return msgspec.structs.replace(BASE, **{k: D(str(v)) for k, v in changes.items()})


# -- market filter: all five must hold ---------------------------------------------------------
def test_the_filter_holds_for_a_clean_uptrend_bar() -> None:
    assert all(apex.market_filter(BASE, "long").values())


@pytest.mark.parametrize(
    ("rule", "changes"),
    [
        ("vwap_side", {"vwap": 100.1}),
        ("ema_stack", {"ema9": 99.5}),
        ("ema_stack", {"ema50": 100}),
        ("macd_agrees", {"macd_hist": -0.01}),
        ("adx_trending", {"adx": 20}),
        ("volume_active", {"volume": 50}),
    ],
)
def test_each_filter_rule_fails_alone(rule: str, changes: dict[str, Any]) -> None:
    verdict = apex.market_filter(ind(**changes), "long")
    assert not verdict[rule]
    assert all(ok for name, ok in verdict.items() if name != rule)


def test_the_short_filter_is_the_mirror() -> None:
    short = ind(vwap=101, ema9=99, ema21="99.5", ema50=100, macd_hist=-0.2)
    assert all(apex.market_filter(short, "short").values())
    assert not any(
        ok
        for name, ok in apex.market_filter(short, "long").items()
        if name != "adx_trending" and name != "volume_active"
    )


# -- entry conditions ---------------------------------------------------------------------------
def test_all_five_entry_conditions_hold() -> None:
    assert all(apex.entry_conditions(BASE, DOWN, ENGULF, "long").values())


@pytest.mark.parametrize(
    ("changes", "near"),
    [
        ({"ema21": 99.5, "vwap": 98}, True),  # 0.5 % from EMA21
        ({"ema21": 99.4, "vwap": "99.5"}, True),  # VWAP near, EMA21 not
        ({"ema21": 99.4, "vwap": 98}, False),  # 0.6 % and 2 %
    ],
)
def test_near_value_is_within_half_a_percent_of_ema21_or_vwap(
    changes: dict[str, Any], near: bool
) -> None:
    assert apex.entry_conditions(ind(**changes), DOWN, ENGULF, "long")["near_value"] is near


@pytest.mark.parametrize(
    ("rsi", "prev", "ok"),
    [(55, 50, True), (45, 50, False), (72, 65, False), (29, 25, False), (69, 60, True)],
)
def test_rsi_must_be_between_30_and_70_and_rising(rsi: int, prev: int, ok: bool) -> None:
    conditions = apex.entry_conditions(ind(rsi=rsi, rsi_prev=prev), DOWN, ENGULF, "long")
    assert conditions["rsi_turning"] is ok
    falling = apex.entry_conditions(ind(rsi=45, rsi_prev=50), DOWN, ENGULF, "short")
    assert falling["rsi_turning"]


def test_macd_histogram_must_rise_for_longs_and_fall_for_shorts() -> None:
    assert apex.entry_conditions(BASE, DOWN, ENGULF, "long")["macd_turning"]
    falling = ind(macd_hist="0.1")
    assert not apex.entry_conditions(falling, DOWN, ENGULF, "long")["macd_turning"]
    assert apex.entry_conditions(falling, DOWN, ENGULF, "short")["macd_turning"]


@pytest.mark.parametrize(("volume", "ok"), [(60, True), (59, False), (150, True)])
def test_volume_confirms_at_60_percent_of_the_last_two_bars(volume: int, ok: bool) -> None:
    conditions = apex.entry_conditions(ind(volume=volume), DOWN, ENGULF, "long")
    assert conditions["volume_confirms"] is ok


def test_the_candle_condition_takes_an_engulfing_or_a_hammer() -> None:
    up = bar(0, 99, 100.5, 98.8, 100.2)
    hammer = bar(1, 100.2, 100.4, 98, 100.3)
    doji_high = bar(1, 100.2, 102, 100.15, 100.3)  # a shooting star
    assert apex.entry_conditions(BASE, up, hammer, "long")["reversal_candle"]
    assert not apex.entry_conditions(BASE, up, doji_high, "long")["reversal_candle"]
    assert apex.entry_conditions(BASE, up, doji_high, "short")["reversal_candle"]


# -- the verdict: filter, score, skip -----------------------------------------------------------
def test_three_of_five_with_the_filter_is_an_entry() -> None:
    three = ind(rsi=75, macd_hist="0.1")  # RSI too high, MACD falling
    signal = apex.signal(three, DOWN, ENGULF, "long")
    assert (signal.action, signal.score) == ("entry", 3)


def test_two_of_five_is_no_entry() -> None:
    two = ind(rsi=75, macd_hist="0.1", volume=55, volume_mean5=100)
    signal = apex.signal(two, DOWN, ENGULF, "long")
    assert (signal.action, signal.score) == ("none", 2)
    assert signal.reason == "2 of 5 entry conditions"


def test_a_failed_filter_is_no_entry_whatever_the_score() -> None:
    signal = apex.signal(ind(adx=19), DOWN, ENGULF, "long")
    assert signal.score == 5 and signal.action == "none"
    assert "adx_trending" in signal.reason


def test_a_bar_under_30_percent_of_the_mean_volume_is_skipped() -> None:
    thin = ind(volume=29, volume_mean5=50, volume_mean2=40, volume_mean20=100)
    signal = apex.signal(thin, DOWN, ENGULF, "long")
    assert all(signal.filter.values()) and signal.score >= 3
    assert signal.action == "skip"


def test_stop_is_the_swing_low_less_half_an_atr_and_targets_are_1_2_3_r() -> None:
    stop, targets = apex.stop_and_targets(BASE, "long")
    assert stop == D(96)  # 97 - 0.5 * 2
    assert targets == [D(104), D(108), D(112)]  # risk 4
    stop, targets = apex.stop_and_targets(BASE, "short")
    assert stop == D(104) and targets == [D(96), D(92), D(88)]


def test_ema9_crossing_under_ema21_is_an_exit() -> None:
    assert apex.ema_cross_down(ind(ema9="99.8", ema21="99.9", ema9_prev=100, ema21_prev="99.9"))
    assert not apex.ema_cross_down(BASE)


# -- on crafted bar series ----------------------------------------------------------------------
def test_a_pullback_engulfed_in_an_uptrend_is_a_long_entry() -> None:
    bars = entry_series()
    evaluation = apex.evaluate(bars)
    long, ind_ = evaluation.long, evaluation.indicators
    assert ind_ is not None
    assert long.action == "entry" and long.score == 4
    assert all(long.filter.values())
    assert not long.conditions["near_value"]
    assert long.stop == min(b.low for b in bars[-10:]) - ind_.atr / 2
    risk = ind_.close - long.stop
    assert long.targets == [ind_.close + risk, ind_.close + 2 * risk, ind_.close + 3 * risk]
    assert evaluation.exit_long is None


def test_the_mirrored_series_is_a_short_signal_that_exits_a_long() -> None:
    bars = [
        Bar(
            start=b.start,
            open=200 - b.open,
            high=200 - b.low,
            low=200 - b.high,
            close=200 - b.close,
            volume=b.volume,
        )
        for b in entry_series()
    ]
    evaluation = apex.evaluate(bars)
    assert evaluation.short.action == "entry" and evaluation.long.action == "none"
    assert evaluation.exit_long == "opposite_signal"


def test_a_trend_turning_down_crosses_the_emas_and_exits() -> None:
    bars = uptrend(70)
    p = float(bars[-1].close)
    for i in range(70, 90):
        bars.append(bar(i, p, p + 0.1, p - 0.9, p - 0.8))
        p -= 0.8
        evaluation = apex.evaluate(bars)
        if evaluation.exit_long is not None:
            break
    assert evaluation.exit_long in {"ema_cross", "opposite_signal"}
    ind_ = evaluation.indicators
    assert ind_ is not None and ind_.ema9 < ind_.ema21


def test_too_few_bars_is_warming_up() -> None:
    evaluation = apex.evaluate(uptrend(MIN_BARS - 1))
    assert evaluation.long.action == "warming_up" and evaluation.indicators is None
    assert compute(uptrend(MIN_BARS)) is not None


def test_a_downtrend_never_enters_long() -> None:
    assert apex.evaluate(downtrend(80)).long.action != "entry"


def test_session_vwap_weights_typical_price_by_volume_since_the_utc_day_began() -> None:
    yesterday = Bar(
        start=T0 - timedelta(hours=1),
        open=D(1),
        high=D(1),
        low=D(1),
        close=D(1),
        volume=D(1000),
    )
    a = bar(0, 10, 12, 9, 11, 100)  # typical 32/3
    b = bar(1, 11, 14, 10, 13, 300)  # typical 37/3
    expected = (D(32) / 3 * 100 + D(37) / 3 * 300) / 400
    assert session_vwap([yesterday, a, b]) == expected

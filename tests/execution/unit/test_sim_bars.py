"""Simulated bars and regimes: OHLC invariants, determinism, trends that trend, bursts burst."""

from __future__ import annotations

import math
import statistics

import pytest

from modules.execution.domain.bars import TIMEFRAMES, Timeframe, seconds
from modules.execution.domain.sim_bars import minute_bar, sim_bar
from modules.execution.domain.sim_market import SIM_EPOCH, SYMBOLS, market_time, mid_price
from modules.execution.domain.sim_regimes import REGIME_SECONDS, Regime, regime

SEED = 7
T0 = 1_704_067_200  # a multiple of every timeframe and of a regime segment
SEGMENTS = 300


def _segments(symbol: str, wanted: Regime, seed: int = SEED) -> list[int]:
    return [k for k in range(SEGMENTS) if regime(seed, symbol, T0 // 3600 + k) == wanted]


@pytest.mark.parametrize("timeframe", TIMEFRAMES)
@pytest.mark.parametrize("symbol", sorted(SYMBOLS))
def test_every_bar_keeps_open_and_close_between_low_and_high(
    symbol: str, timeframe: Timeframe
) -> None:
    step = seconds(timeframe)
    for i in range(6):
        bar = sim_bar(SEED, "kraken", 0.8, symbol, timeframe, T0 + i * 7 * step)
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        assert bar.low > 0 and bar.volume > 0
        assert bar.start.timestamp() == T0 + i * 7 * step and bar.timeframe == timeframe
        tick = SYMBOLS[symbol].price_tick
        assert all(p == p.quantize(tick) for p in (bar.open, bar.high, bar.low, bar.close))


def test_bars_are_a_function_of_the_seed_alone() -> None:
    start = T0 + 12 * 3600
    first = sim_bar(SEED, "binance", 1.2, "ETH/USD", "15m", start)
    minute_bar.cache_clear()
    assert sim_bar(SEED, "binance", 1.2, "ETH/USD", "15m", start) == first
    assert sim_bar(SEED + 1, "binance", 1.2, "ETH/USD", "15m", start) != first


def test_a_long_bar_opens_with_its_first_minute_and_closes_with_its_last() -> None:
    hour = sim_bar(SEED, "coinbase", 0.5, "SOL/USD", "1h", T0)
    minutes = [minute_bar(SEED, "coinbase", 0.5, "SOL/USD", T0 + 60 * m) for m in range(60)]
    assert hour.open == minutes[0].open and hour.close == minutes[-1].close
    assert hour.high == max(m.high for m in minutes) and hour.low == min(m.low for m in minutes)
    assert hour.volume == sum(m.volume for m in minutes)


def test_a_minute_bar_samples_the_mid_the_books_are_built_on() -> None:
    bar = minute_bar(SEED, "kraken", 0.8, "BTC/USD", T0)
    assert float(bar.open) == pytest.approx(mid_price(SEED, "kraken", "BTC/USD", T0), abs=0.006)
    assert float(bar.close) == pytest.approx(
        mid_price(SEED, "kraken", "BTC/USD", T0 + 59), abs=0.006
    )


def _segment_return(symbol: str, k: int) -> float:
    start = T0 + k * REGIME_SECONDS
    before = mid_price(SEED, "kraken", symbol, start)
    return math.log(mid_price(SEED, "kraken", symbol, start + REGIME_SECONDS) / before)


@pytest.mark.parametrize("symbol", ["BTC/USD", "XRP/USD"])
def test_up_trends_rise_and_down_trends_fall_on_average(symbol: str) -> None:
    ups = [_segment_return(symbol, k) for k in _segments(symbol, "up")]
    downs = [_segment_return(symbol, k) for k in _segments(symbol, "down")]
    flats = [_segment_return(symbol, k) for k in _segments(symbol, "range")]
    assert len(ups) > 40 and len(downs) > 40
    assert statistics.mean(ups) > 0.01
    assert statistics.mean(downs) < -0.01
    assert abs(statistics.mean(flats)) < 0.008
    # Most up-trends end higher than they started: a strategy has something to find.
    assert sum(r > 0 for r in ups) > 0.75 * len(ups)


def _minute_ranges(symbol: str, k: int) -> list[float]:
    bars = [
        minute_bar(SEED, "binance", 1.2, symbol, T0 + k * 3600 + 60 * m) for m in range(10, 40, 3)
    ]
    return [float((b.high - b.low) / b.open) for b in bars]


def test_volatility_bursts_move_and_trade_more_than_quiet_ranges() -> None:
    symbol = "ETH/USD"
    bursts, ranges = _segments(symbol, "burst")[:8], _segments(symbol, "range")[:8]
    burst_range = statistics.mean(r for k in bursts for r in _minute_ranges(symbol, k))
    quiet_range = statistics.mean(r for k in ranges for r in _minute_ranges(symbol, k))
    assert burst_range > 3 * quiet_range

    def volume(k: int) -> float:
        return float(sim_bar(SEED, "binance", 1.2, symbol, "15m", T0 + k * 3600 + 900).volume)

    assert statistics.mean(map(volume, bursts)) > 3 * statistics.mean(map(volume, ranges))


def test_the_price_does_not_jump_where_one_regime_gives_way_to_the_next() -> None:
    for k in range(1, 60):
        boundary = T0 + k * REGIME_SECONDS
        before = mid_price(SEED, "kraken", "BTC/USD", boundary - 0.001)
        after = mid_price(SEED, "kraken", "BTC/USD", boundary + 0.001)
        assert abs(after / before - 1) < 1e-5


def test_prices_stay_near_their_base_however_long_the_market_runs() -> None:
    base = SYMBOLS["BTC/USD"].base_price
    for day in range(0, 3650, 7):
        price = mid_price(SEED, "kraken", "BTC/USD", T0 + day * 86400.0)
        assert 0.7 * base < price < 1.4 * base


def test_the_market_clock_is_the_wall_clock_at_speed_one_and_runs_from_an_epoch_faster() -> None:
    assert market_time(1_800_000_000.5, 1_700_000_000.0, 1.0) == 1_800_000_000.5
    assert market_time(1_700_000_010.0, 1_700_000_000.0, 60.0) == SIM_EPOCH + 600.0
    assert market_time(1_700_000_000.0, 1_700_000_000.0, 60.0) == SIM_EPOCH

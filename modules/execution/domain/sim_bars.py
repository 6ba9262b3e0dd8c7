"""OHLCV bars of a simulated venue, from the same seeded model as its books.

A one-minute bar samples the venue's mid once a second of market time (open: the first
sample, close: the last); longer bars are composed from one-minute bars, which are cached, so
publishing 5m, 15m and 1h bars after the 1m ones costs almost nothing. Volume is a seeded,
regime-dependent draw per minute: bursts trade about four times as much as quiet ranges.
"""

from __future__ import annotations

import functools
from decimal import ROUND_DOWN, Decimal

from modules.execution.domain.bars import Bar, Timeframe, compose, seconds, utc
from modules.execution.domain.sim_market import QTY_STEP, SYMBOLS, mid_price
from modules.execution.domain.sim_regimes import VOLUME_SCALE, regime_at, unit

_MINUTE = 60
# A venue of depth 1 trades this many best-level sizes a minute in a plain trend.
_LEVELS_PER_MINUTE = 4.0


@functools.lru_cache(maxsize=32768)
def minute_bar(seed: int, venue: str, depth: float, symbol: str, start: int) -> Bar:
    """The one-minute bar of `venue`'s `symbol` starting at `start` (a multiple of 60)."""
    tick = SYMBOLS[symbol].price_tick
    mids = [mid_price(seed, venue, symbol, float(start + s)) for s in range(_MINUTE)]
    return Bar(
        symbol=symbol,
        timeframe="1m",
        start=utc(start),
        open=_price(mids[0], tick),
        high=_price(max(mids), tick),
        low=_price(min(mids), tick),
        close=_price(mids[-1], tick),
        volume=_volume(seed, venue, depth, symbol, start),
    )


def sim_bar(
    seed: int, venue: str, depth: float, symbol: str, timeframe: Timeframe, start: int
) -> Bar:
    """The bar of `timeframe` starting at `start` (aligned), composed of one-minute bars."""
    if timeframe == "1m":
        return minute_bar(seed, venue, depth, symbol, start)
    minutes = [
        minute_bar(seed, venue, depth, symbol, start + m)
        for m in range(0, seconds(timeframe), _MINUTE)
    ]
    return compose(minutes, timeframe, utc(start))


def _price(mid: float, tick: Decimal) -> Decimal:
    # Rounding is monotonic, so low <= open, close <= high survives it.
    return Decimal(repr(mid)).quantize(tick)


def _volume(seed: int, venue: str, depth: float, symbol: str, start: int) -> Decimal:
    middle = float(start + _MINUTE // 2)
    scale = VOLUME_SCALE[regime_at(seed, symbol, middle)]
    jitter = 0.5 + (unit(seed, venue, symbol, "volume", start) + 1.0) / 2.0
    size = SYMBOLS[symbol].level_size * depth * _LEVELS_PER_MINUTE * scale * jitter
    return Decimal(repr(size)).quantize(QTY_STEP, rounding=ROUND_DOWN)

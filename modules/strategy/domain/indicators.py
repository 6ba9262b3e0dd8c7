"""The indicators APEX reads, computed once per bar for everyone trading the pair.

TA-Lib does the arithmetic on float arrays (it is fast and well tested); VWAP it lacks, so it is
computed here. Money goes in and comes out as `Decimal`: floats live only inside this file.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec
import numpy as np
import talib

from modules.strategy.domain.bars import Bar

# EMA50 needs 50 bars and ADX(14) about twice its period before its values settle.
MIN_BARS = 60
SWING_BARS = 10


class Indicators(msgspec.Struct, frozen=True, kw_only=True):
    """The latest values (and the previous ones the rules compare against)."""

    close: Decimal
    vwap: Decimal
    ema9: Decimal
    ema21: Decimal
    ema50: Decimal
    ema9_prev: Decimal
    ema21_prev: Decimal
    rsi: Decimal
    rsi_prev: Decimal
    macd_hist: Decimal
    macd_hist_prev: Decimal
    adx: Decimal
    atr: Decimal
    volume: Decimal
    volume_mean5: Decimal  # of the five bars before this one
    volume_mean2: Decimal  # of the two bars before this one
    volume_mean20: Decimal  # of the twenty bars before this one
    swing_low: Decimal  # lowest low of the last ten bars, this one included
    swing_high: Decimal


def _dec(value: float) -> Decimal:
    # Twelve significant digits: more than any price or volume a venue quotes, and stable.
    return Decimal(f"{value:.12g}")


def session_vwap(bars: list[Bar]) -> Decimal:
    """Volume-weighted typical price since the start of the last bar's UTC day (the session);
    the last bar's close when the session traded nothing."""
    day = bars[-1].start.date()
    weighted = Decimal(0)
    volume = Decimal(0)
    for bar in reversed(bars):
        if bar.start.date() != day:
            break
        weighted += (bar.high + bar.low + bar.close) / 3 * bar.volume
        volume += bar.volume
    return bars[-1].close if volume == 0 else weighted / volume


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values) if values else Decimal(0)


def compute(bars: list[Bar]) -> Indicators | None:
    """The indicators of the last bar, or None while the window is too short to trust them."""
    if len(bars) < MIN_BARS:
        return None
    high = np.array([float(b.high) for b in bars], dtype=np.float64)
    low = np.array([float(b.low) for b in bars], dtype=np.float64)
    close = np.array([float(b.close) for b in bars], dtype=np.float64)
    ema9 = talib.EMA(close, timeperiod=9)
    ema21 = talib.EMA(close, timeperiod=21)
    ema50 = talib.EMA(close, timeperiod=50)
    rsi = talib.RSI(close, timeperiod=14)
    _macd, _signal, hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    adx = talib.ADX(high, low, close, timeperiod=14)
    atr = talib.ATR(high, low, close, timeperiod=14)
    volumes = [b.volume for b in bars]
    recent = bars[-SWING_BARS:]
    return Indicators(
        close=bars[-1].close,
        vwap=session_vwap(bars),
        ema9=_dec(ema9[-1]),
        ema21=_dec(ema21[-1]),
        ema50=_dec(ema50[-1]),
        ema9_prev=_dec(ema9[-2]),
        ema21_prev=_dec(ema21[-2]),
        rsi=_dec(rsi[-1]),
        rsi_prev=_dec(rsi[-2]),
        macd_hist=_dec(hist[-1]),
        macd_hist_prev=_dec(hist[-2]),
        adx=_dec(adx[-1]),
        atr=_dec(atr[-1]),
        volume=volumes[-1],
        volume_mean5=_mean(volumes[-6:-1]),
        volume_mean2=_mean(volumes[-3:-1]),
        volume_mean20=_mean(volumes[-21:-1]),
        swing_low=min(b.low for b in recent),
        swing_high=max(b.high for b in recent),
    )

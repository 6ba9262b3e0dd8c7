"""APEX v7.1: the bot's strategy, evaluated at each bar's close.

A side trades only when the market filter holds entirely (price on the trade's side of VWAP,
EMA9/21/50 stacked the trade's way, MACD histogram of the trade's sign, ADX over 20, volume
over half the last five bars' mean), and enters when at least three of five entry conditions
hold (near value, RSI in range and turning the trade's way, a reversal candle, MACD histogram
moving the trade's way, volume confirming). A bar on very thin volume is skipped outright.

Every evaluation is a `Signal` recording each condition, the score, the stop and the targets,
so a trader can see why the bot did (or did not) act. Spot venues cannot short: only the long
side is ever entered; the short side is evaluated as the "opposite signal" that exits a long.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from modules.strategy.domain import candles
from modules.strategy.domain.bars import Bar
from modules.strategy.domain.indicators import Indicators, compute

STRATEGY = "apex_v71"
Side = Literal["long", "short"]
Action = Literal["entry", "none", "skip", "warming_up"]

ADX_TREND = Decimal(20)
VOLUME_FILTER = Decimal("0.5")  # of the last five bars' mean
VOLUME_CONFIRM = Decimal("0.6")  # of the last two bars' mean
VOLUME_SKIP = Decimal("0.3")  # of the last twenty bars' mean
NEAR_VALUE = Decimal("0.005")  # 0.5 % from EMA21 or VWAP
RSI_LOW, RSI_HIGH = Decimal(30), Decimal(70)
MIN_SCORE = 3
STOP_ATR = Decimal("0.5")
TARGET_R = (Decimal(1), Decimal(2), Decimal(3))


class Signal(msgspec.Struct, frozen=True, kw_only=True):
    """One side's verdict on one bar, with every reason."""

    strategy: str = STRATEGY
    side: Side
    action: Action
    filter: dict[str, bool]
    conditions: dict[str, bool]
    score: int
    stop: Decimal | None = None
    targets: list[Decimal] = msgspec.field(default_factory=list)
    reason: str


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    """Both sides of one bar, computed once for every bot trading the pair."""

    indicators: Indicators | None
    long: Signal
    short: Signal
    # Why a long should be closed now: "opposite_signal", "ema_cross", or None.
    exit_long: str | None


def market_filter(ind: Indicators, side: Side) -> dict[str, bool]:
    long = side == "long"
    return {
        "vwap_side": ind.close > ind.vwap if long else ind.close < ind.vwap,
        "ema_stack": (ind.ema9 > ind.ema21 > ind.ema50)
        if long
        else (ind.ema9 < ind.ema21 < ind.ema50),
        "macd_agrees": ind.macd_hist > 0 if long else ind.macd_hist < 0,
        "adx_trending": ind.adx > ADX_TREND,
        "volume_active": ind.volume > VOLUME_FILTER * ind.volume_mean5,
    }


def _near(price: Decimal, level: Decimal) -> bool:
    return price > 0 and abs(price - level) / price <= NEAR_VALUE


def entry_conditions(ind: Indicators, previous: Bar, bar: Bar, side: Side) -> dict[str, bool]:
    long = side == "long"
    rsi_in_range = RSI_LOW < ind.rsi < RSI_HIGH
    rsi_turning = ind.rsi > ind.rsi_prev if long else ind.rsi < ind.rsi_prev
    macd_turning = (
        ind.macd_hist > ind.macd_hist_prev if long else ind.macd_hist < ind.macd_hist_prev
    )
    if long:
        candle = candles.bullish_engulfing(previous, bar) or candles.hammer(bar)
    else:
        candle = candles.bearish_engulfing(previous, bar) or candles.shooting_star(bar)
    return {
        "near_value": _near(ind.close, ind.ema21) or _near(ind.close, ind.vwap),
        "rsi_turning": rsi_in_range and rsi_turning,
        "reversal_candle": candle,
        "macd_turning": macd_turning,
        "volume_confirms": ind.volume >= VOLUME_CONFIRM * ind.volume_mean2,
    }


def stop_and_targets(ind: Indicators, side: Side) -> tuple[Decimal, list[Decimal]]:
    """Stop beyond the last ten bars' swing by half an ATR; targets at 1, 2 and 3 R."""
    if side == "long":
        stop = ind.swing_low - STOP_ATR * ind.atr
        risk = ind.close - stop
        return stop, [ind.close + r * risk for r in TARGET_R]
    stop = ind.swing_high + STOP_ATR * ind.atr
    risk = stop - ind.close
    return stop, [ind.close - r * risk for r in TARGET_R]


def low_volume(ind: Indicators) -> bool:
    return ind.volume < VOLUME_SKIP * ind.volume_mean20


def signal(ind: Indicators, previous: Bar, bar: Bar, side: Side) -> Signal:
    filters = market_filter(ind, side)
    conditions = entry_conditions(ind, previous, bar, side)
    score = sum(conditions.values())
    stop, targets = stop_and_targets(ind, side)
    if low_volume(ind):
        action: Action = "skip"
        reason = "volume under 30 % of the last twenty bars' mean"
    elif not all(filters.values()):
        action = "none"
        reason = "market filter: " + ", ".join(k for k, ok in filters.items() if not ok)
    elif score < MIN_SCORE:
        action = "none"
        reason = f"{score} of 5 entry conditions"
    elif (side == "long" and stop >= ind.close) or (side == "short" and stop <= ind.close):
        action = "none"
        reason = "no room between the close and the stop"
    else:
        action = "entry"
        reason = f"market filter holds, {score} of 5 entry conditions"
    return Signal(
        side=side,
        action=action,
        filter=filters,
        conditions=conditions,
        score=score,
        stop=stop,
        targets=targets,
        reason=reason,
    )


def ema_cross_down(ind: Indicators) -> bool:
    return ind.ema9_prev >= ind.ema21_prev and ind.ema9 < ind.ema21


def _warming_up(side: Side) -> Signal:
    return Signal(
        side=side,
        action="warming_up",
        filter={},
        conditions={},
        score=0,
        reason="not enough bars yet",
    )


def evaluate(bars: list[Bar]) -> Evaluation:
    """APEX on the last bar of `bars` (oldest first)."""
    ind = compute(bars)
    if ind is None:
        return Evaluation(
            indicators=None, long=_warming_up("long"), short=_warming_up("short"), exit_long=None
        )
    long = signal(ind, bars[-2], bars[-1], "long")
    short = signal(ind, bars[-2], bars[-1], "short")
    exit_long = None
    if short.action == "entry":
        exit_long = "opposite_signal"
    elif ema_cross_down(ind):
        exit_long = "ema_cross"
    return Evaluation(indicators=ind, long=long, short=short, exit_long=exit_long)

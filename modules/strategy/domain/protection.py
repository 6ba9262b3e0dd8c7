"""A bot position's protection: its stop, its three profit targets and the trailing stop.

Evaluated on each closed bar of the position's pair. The stop sells everything left when the
bar's low reaches it; a target sells part when the bar's high reaches it (half at 1 R, a quarter
at 2 R, the rest at 3 R); the first target moves the stop to break-even and starts a trailing
stop 1.5 ATR under each bar's high. The stop wins a bar that reaches both, since which came first
inside the bar is unknown and the loss is the outcome to bound.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Literal

import msgspec

from modules.strategy.domain.apex import TARGET_R
from modules.strategy.domain.bars import Bar
from modules.strategy.domain.sizing import QUANTITY_STEP

TRAIL_ATR = Decimal("1.5")
# Share of the filled quantity each target sells; the last one sells whatever is left.
TARGET_SHARES = (Decimal("0.5"), Decimal("0.25"), Decimal("0.25"))

ExitKind = Literal["stop_loss", "profit_take"]


class Guard(msgspec.Struct, frozen=True, kw_only=True):
    """What protects one long position, as stored with it."""

    entry_price: Decimal
    quantity: Decimal  # filled at entry
    exited: Decimal  # sold since, filled
    stop: Decimal
    targets: list[Decimal]
    targets_hit: int = 0
    trailing: bool = False

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.exited, Decimal(0))


class Exit(msgspec.Struct, frozen=True, kw_only=True):
    kind: ExitKind
    quantity: Decimal
    price: Decimal  # the level that was reached (stop or target)


class Step(msgspec.Struct, frozen=True, kw_only=True):
    guard: Guard
    exit: Exit | None = None


def after_entry_fill(stop: Decimal, planned_risk: Decimal, fill_price: Decimal) -> list[Decimal]:
    """Targets measured from the price actually paid; the planned risk (signal close to stop)
    when the fill landed at or under the stop, so targets stay above the entry."""
    risk = fill_price - stop
    if risk <= 0:
        risk = planned_risk
    return [fill_price + r * risk for r in TARGET_R]


def _down(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_STEP, rounding=ROUND_DOWN)


def _profit_take(guard: Guard, bar: Bar) -> tuple[int, Decimal]:
    """How many more targets the bar reached and what selling their shares takes."""
    reached = guard.targets_hit
    while reached < len(guard.targets) and bar.high >= guard.targets[reached]:
        reached += 1
    if reached == guard.targets_hit:
        return reached, Decimal(0)
    if reached == len(guard.targets):
        return reached, guard.remaining
    share = sum(TARGET_SHARES[guard.targets_hit : reached], Decimal(0))
    return reached, min(_down(guard.quantity * share), guard.remaining)


def _trail(guard: Guard, bar: Bar, atr: Decimal | None) -> Guard:
    if not guard.trailing or atr is None:
        return guard
    return msgspec.structs.replace(guard, stop=max(guard.stop, bar.high - TRAIL_ATR * atr))


def on_bar(guard: Guard, bar: Bar, atr: Decimal | None, *, exit_in_flight: bool) -> Step:
    """The position's next step on `bar`. While an exit is in flight nothing new is sold (its
    fills decide what is left), but the trailing stop still follows the market."""
    if guard.remaining <= 0 or exit_in_flight:
        return Step(guard=_trail(guard, bar, atr))
    if bar.low <= guard.stop:
        return Step(
            guard=guard, exit=Exit(kind="stop_loss", quantity=guard.remaining, price=guard.stop)
        )
    reached, quantity = _profit_take(guard, bar)
    if quantity <= 0:
        return Step(guard=_trail(msgspec.structs.replace(guard, targets_hit=reached), bar, atr))
    moved = msgspec.structs.replace(
        guard,
        targets_hit=reached,
        stop=max(guard.stop, guard.entry_price),
        trailing=True,
    )
    target = guard.targets[reached - 1]
    return Step(
        guard=_trail(moved, bar, atr),
        exit=Exit(kind="profit_take", quantity=quantity, price=target),
    )

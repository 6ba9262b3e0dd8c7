"""A position's life as the trader sees it: cut execution's position steps into cycles.

Execution keeps one net position per user, venue and symbol (its `position_id`) and publishes
its state after every fill (`PositionChanged`, counted by `version`). A trader thinks in
positions opened and closed: a *cycle* runs from the step that takes the quantity off zero to
the step that brings it back (or flips it to the other side, which closes one cycle and opens
the next at the same step). A cycle is named by its position id and the version that opened it.

Figures come from execution's running totals, never recomputed from prices, so they are the
venue's fills as execution folded them: a cycle's realised P&L (net of every fee paid in it) is
`realised_total` at its latest step less the total before it opened, and likewise its fees. The
step that opens a cycle realises nothing but its own fee, so the totals before it are read off
that step alone (`realised_total - realised_delta`, `fees_total + realised_delta`); a flip's
whole P&L and fee belong to the cycle it closes.

Steps may arrive out of order; the caller folds them in version order, continuing the open
cycle when they follow on, or re-folding from the cycle before the earliest new step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

MONEY_STEP = Decimal("0.00000001")


class Step(msgspec.Struct, frozen=True, kw_only=True):
    """Execution's position after one fill (a `PositionChanged`)."""

    version: int
    quantity: Decimal  # signed: < 0 is short
    average_entry: Decimal
    realised_total: Decimal
    fees_total: Decimal
    realised_delta: Decimal
    at: datetime


class Cycle(msgspec.Struct, frozen=True, kw_only=True):
    """One position from open to close, as the dashboard stores it (a `positions` row)."""

    open_version: int
    side: Literal["long", "short"]
    status: Literal["open", "closed"]
    quantity: Decimal  # signed, now; 0 once closed
    peak_quantity: Decimal  # the most it held (unsigned): a closed position's size
    entry_price: Decimal  # average entry; a closed one keeps the last it had
    realised_base: Decimal
    fees_base: Decimal
    realised_pnl: Decimal
    fees: Decimal
    opened_at: datetime
    closed_at: datetime | None
    last_version: int
    close_version: int | None

    def outcome(self) -> Literal["win", "loss"] | None:
        """A closed cycle's result: a win or a loss by its P&L net of fees (even: neither)."""
        if self.status != "closed" or self.realised_pnl == 0:
            return None
        return "win" if self.realised_pnl > 0 else "loss"


def _opened(step: Step, *, flip: bool) -> Cycle:
    if flip:
        realised_base, fees_base = step.realised_total, step.fees_total
    else:
        realised_base = step.realised_total - step.realised_delta
        fees_base = step.fees_total + step.realised_delta
    return Cycle(
        open_version=step.version,
        side="long" if step.quantity > 0 else "short",
        status="open",
        quantity=step.quantity,
        peak_quantity=abs(step.quantity),
        entry_price=step.average_entry,
        realised_base=realised_base,
        fees_base=fees_base,
        realised_pnl=step.realised_total - realised_base,
        fees=step.fees_total - fees_base,
        opened_at=step.at,
        closed_at=None,
        last_version=step.version,
        close_version=None,
    )


def _moved(cycle: Cycle, step: Step) -> Cycle:
    closing = step.quantity == 0 or (step.quantity > 0) != (cycle.quantity > 0)
    return msgspec.structs.replace(
        cycle,
        status="closed" if closing else "open",
        quantity=Decimal(0) if closing else step.quantity,
        peak_quantity=cycle.peak_quantity
        if closing
        else max(cycle.peak_quantity, abs(step.quantity)),
        entry_price=cycle.entry_price if closing else step.average_entry,
        realised_pnl=step.realised_total - cycle.realised_base,
        fees=step.fees_total - cycle.fees_base,
        closed_at=step.at if closing else None,
        last_version=step.version,
        close_version=step.version if closing else None,
    )


def fold_steps(
    open_cycle: Cycle | None, previous: Decimal | None, steps: Sequence[Step]
) -> list[Cycle]:
    """The cycles that `steps` (in version order) leave: `open_cycle` carried on, then every
    cycle they open, in order.

    `previous` is the quantity before the first step (None when unknown): with no open cycle,
    a first step on the other side of it is a flip whose closing half lies outside the steps.
    """
    cycles: list[Cycle] = []
    current = open_cycle
    before = previous if open_cycle is None else open_cycle.quantity
    for step in steps:
        if current is not None:
            current = _moved(current, step)
            if current.status == "closed":
                cycles.append(current)
                current = _opened(step, flip=True) if step.quantity != 0 else None
        elif step.quantity != 0:
            flip = before is not None and before != 0 and (before > 0) != (step.quantity > 0)
            current = _opened(step, flip=flip)
        before = step.quantity
    if current is not None:
        cycles.append(current)
    return cycles


def unrealised(quantity: Decimal, entry: Decimal, mark: Decimal | None) -> Decimal:
    """What is still held, marked at `mark` (nothing without a mark or a holding)."""
    if mark is None or quantity == 0:
        return Decimal(0)
    return ((mark - entry) * quantity).quantize(MONEY_STEP)


def percent(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """`part` as a percentage of `whole`, to two decimals; None when `whole` is not positive."""
    if whole is None or whole <= 0:
        return None
    return (part * 100 / whole).quantize(Decimal("0.01"))

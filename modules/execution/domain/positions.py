"""Position arithmetic: fold one fill into a net position (average cost, realised P&L, fees)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

PNL_STEP = Decimal("0.00000001")


class PositionState(msgspec.Struct, frozen=True, kw_only=True):
    quantity: Decimal = Decimal(0)  # signed: < 0 is short
    average_entry: Decimal = Decimal(0)
    realised_pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)


def apply_fill(
    position: PositionState, side: str, price: Decimal, quantity: Decimal, fee: Decimal
) -> PositionState:
    """A buy adds to a long (or covers a short); a sell reduces a long (or adds to a short).

    The part of a fill that reduces the position realises (price - entry) per unit; a fill that
    crosses zero opens the rest at the fill price. Fees are kept apart from realised P&L.
    """
    signed = quantity if side == "buy" else -quantity
    held = position.quantity
    realised = position.realised_pnl
    if held == 0 or (held > 0) == (signed > 0):
        total = abs(held) + quantity
        average = (abs(held) * position.average_entry + quantity * price) / total
        new_quantity = held + signed
    else:
        closed = min(abs(held), quantity)
        direction = Decimal(1) if held > 0 else Decimal(-1)
        realised += closed * (price - position.average_entry) * direction
        new_quantity = held + signed
        if new_quantity == 0:
            average = Decimal(0)
        elif (new_quantity > 0) == (held > 0):
            average = position.average_entry
        else:
            average = price
    return PositionState(
        quantity=new_quantity,
        average_entry=average.quantize(PNL_STEP),
        realised_pnl=realised.quantize(PNL_STEP),
        fees=position.fees + fee,
    )


def status(position: PositionState) -> Literal["open", "closed"]:
    return "open" if position.quantity != 0 else "closed"


def unrealised(position: PositionState, mid: Decimal | None) -> Decimal:
    """P&L of what is still held, marked at `mid` (0 when there is no mark or nothing held)."""
    if mid is None or position.quantity == 0:
        return Decimal(0)
    return ((mid - position.average_entry) * position.quantity).quantize(PNL_STEP)

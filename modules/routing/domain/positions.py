"""Folding a fill into a position: signed quantity, average entry, realised P&L net of fees.

Quantities are signed (long > 0, short < 0). A fill on the position's side grows it at a new
average entry; one against it closes up to the open size (realising P&L) and any excess opens
the opposite side at the fill price. Fees are charged to realised P&L (quote currency).
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

_ZERO = Decimal(0)


class PositionState(msgspec.Struct, frozen=True, kw_only=True):
    quantity: Decimal
    average_price: Decimal
    realized_pnl: Decimal
    fees: Decimal


class Folded(msgspec.Struct, frozen=True, kw_only=True):
    state: PositionState
    realized_delta: Decimal


def fold_fill(
    state: PositionState, side: str, quantity: Decimal, price: Decimal, fee: Decimal
) -> Folded:
    signed = quantity if side == "buy" else -quantity
    held = state.quantity
    realized = -fee
    if held == 0 or (held > 0) == (signed > 0):
        total = held + signed
        average = (abs(held) * state.average_price + quantity * price) / abs(total)
    else:
        closing = min(quantity, abs(held))
        direction = Decimal(1) if held > 0 else Decimal(-1)
        realized += closing * (price - state.average_price) * direction
        total = held + signed
        if total == 0:
            average = _ZERO
        elif (total > 0) == (held > 0):
            average = state.average_price
        else:
            average = price
    return Folded(
        state=PositionState(
            quantity=total,
            average_price=average,
            realized_pnl=state.realized_pnl + realized,
            fees=state.fees + fee,
        ),
        realized_delta=realized,
    )

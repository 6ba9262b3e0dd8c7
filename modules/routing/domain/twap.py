"""The TWAP slice plan: an order above the notional threshold goes out as equal slices.

Every slice but the last is the order's quantity over the slice count, rounded down to the
amount step; the last takes the rounding remainder, so the slices add up to the order exactly.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from modules.routing.domain.venue_scoring import AMOUNT_STEP


def uses_twap(notional: Decimal, *, threshold: Decimal, slices: int) -> bool:
    """Whether an order worth `notional` goes out as TWAP slices rather than at once."""
    return slices > 1 and notional > threshold


def slice_size(quantity: Decimal, slices: int) -> Decimal:
    return (quantity / slices).quantize(AMOUNT_STEP, rounding=ROUND_DOWN)


def slice_quantity(
    index: int, *, slices: int, size: Decimal, total: Decimal
) -> tuple[Decimal, bool]:
    """The quantity of slice `index` (from 0), and whether it is the last."""
    last = index + 1 >= slices
    return (total - size * (slices - 1) if last else size), last

"""How a backtest's market orders fill: walked from the venue's book, with its taker fee.

The venue describes its book as a shape around the mid (execution's `MarketHistoryServed`):
each level's distance from the mid, as a fraction, and its size, best first. A simulated venue's
book is exactly that shape (domain/sim_market.py builds its levels from the mid the same way),
so rebuilding the levels around the mid at the fill's instant gives the prices its matching
engine would have walked, to within a tick of rounding. Fees are charged per level and rounded
like the venue rounds them.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

import msgspec

FEE_STEP = Decimal("0.00000001")
PRICE_STEP = Decimal("0.00000001")
Side = Literal["buy", "sell"]


class FillModel(msgspec.Struct, frozen=True, kw_only=True):
    taker_fee: Decimal  # a fraction of the notional, e.g. 0.001
    price_tick: Decimal
    min_quantity: Decimal
    # (distance from the mid as a fraction, size in base units), best level first.
    bids: list[tuple[Decimal, Decimal]]
    asks: list[tuple[Decimal, Decimal]]


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    quantity: Decimal
    price: Decimal  # quantity-weighted average, as execution reports it
    notional: Decimal  # what the quantity cost or fetched, before the fee
    fee: Decimal


def levels(model: FillModel, side: Side, mid: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(price, size) of the levels an order of `side` takes at `mid`: asks for a buy, bids for
    a sell; asks rounded up and bids down to the tick, as the venue quotes them."""
    if side == "buy":
        return [
            ((mid * (1 + off)).quantize(model.price_tick, rounding=ROUND_CEILING), size)
            for off, size in model.asks
        ]
    return [
        ((mid * (1 - off)).quantize(model.price_tick, rounding=ROUND_FLOOR), size)
        for off, size in model.bids
    ]


def market_fill(model: FillModel, side: Side, mid: Decimal, quantity: Decimal) -> Fill | None:
    """A market order for `quantity` at `mid`; None when the venue would refuse it (under its
    minimum size) or nothing filled. What the book cannot fill expires, as at the venue."""
    if quantity < model.min_quantity:
        return None
    filled = notional = fee = Decimal(0)
    for price, size in levels(model, side, mid):
        take = min(size, quantity - filled)
        if take <= 0:
            break
        filled += take
        notional += price * take
        fee += (price * take * model.taker_fee).quantize(FEE_STEP)
    if filled <= 0:
        return None
    price = (notional / filled).quantize(PRICE_STEP)
    return Fill(quantity=filled, price=price, notional=notional, fee=fee)

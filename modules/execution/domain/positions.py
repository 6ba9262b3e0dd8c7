"""Position arithmetic: fold one fill into a net position (average cost, realised P&L, fees).

The one fee rule: a fee is charged to realised P&L, in the quote currency, when its fill
happens, so `realised_pnl` is net of every fee paid on the position; `fees` shows the same fees
on their own. A fee the venue charged in the base asset is valued at its fill's price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

PNL_STEP = Decimal("0.00000001")
# The platform quotes its pairs in USD; a venue that lists them against a dollar stablecoin
# (Binance's BTC/USDT for BTC/USD) is priced at par already, so its fees are too.
_DOLLARS = frozenset({"USD", "USDT", "USDC"})


class PositionState(msgspec.Struct, frozen=True, kw_only=True):
    quantity: Decimal = Decimal(0)  # signed: < 0 is short
    average_entry: Decimal = Decimal(0)
    realised_pnl: Decimal = Decimal(0)  # net of fees
    fees: Decimal = Decimal(0)
    version: int = 0  # fills folded so far: readers keep the newest state they see


def pair(symbol: str) -> tuple[str, str]:
    """Base and quote of "BTC/USD" (the platform's spelling) or "BTC-USD"."""
    base, _, quote = symbol.upper().replace("-", "/").partition("/")
    return base, quote


def fee_in_quote(symbol: str, fee: Decimal, fee_currency: str, price: Decimal) -> Decimal | None:
    """The fee in the pair's quote currency, or None when it was paid in a third currency.

    Simulated venues charge in the quote ("USD"); an exchange may charge in the quote, in the
    base asset (valued at the fill's `price`), or in its own token (e.g. BNB), which the fill
    alone cannot value. No currency given means the quote.
    """
    base, quote = pair(symbol)
    currency = fee_currency.strip().upper()
    if fee == 0 or currency in ("", quote) or (quote in _DOLLARS and currency in _DOLLARS):
        return fee
    if currency == base:
        return (fee * price).quantize(PNL_STEP)
    return None


def apply_fill(
    position: PositionState, side: str, price: Decimal, quantity: Decimal, fee: Decimal
) -> PositionState:
    """A buy adds to a long (or covers a short); a sell reduces a long (or adds to a short).

    The part of a fill that reduces the position realises (price - entry) per unit; a fill that
    crosses zero opens the rest at the fill price. `fee` is in the quote currency
    (`fee_in_quote`) and is charged to realised P&L whichever way the fill goes.
    """
    signed = quantity if side == "buy" else -quantity
    held = position.quantity
    realised = position.realised_pnl - fee
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
        version=position.version + 1,
    )


def realised_delta(before: PositionState, after: PositionState) -> Decimal:
    """What one fold realised, fees included (exact: both totals are kept to `PNL_STEP`)."""
    return after.realised_pnl - before.realised_pnl


def status(position: PositionState) -> Literal["open", "closed"]:
    return "open" if position.quantity != 0 else "closed"


def unrealised(position: PositionState, mid: Decimal | None) -> Decimal:
    """P&L of what is still held, marked at `mid` (0 when there is no mark or nothing held)."""
    if mid is None or position.quantity == 0:
        return Decimal(0)
    return ((mid - position.average_entry) * position.quantity).quantize(PNL_STEP)

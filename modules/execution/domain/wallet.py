"""Wallet arithmetic: what trades do to an account's balances, what an order needs, and equity.

A spot account: a buy pays `price * quantity + fee` in the quote asset and receives the
quantity in the base asset; a sell gives up the base and receives `price * quantity - fee` in
the quote. Fees are in the quote asset (the simulated venues charge in USD). Nothing here may
go below zero, so an order the wallet cannot pay for is refused before it trades.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec

from modules.execution.domain.venue import Side, VenueRejected

# The platform quotes in USD; a dollar stablecoin counts at par (Binance quotes in USDT).
DOLLARS = frozenset({"USD", "USDT", "USDC"})
EQUITY_STEP = Decimal("0.01")


class Trade(msgspec.Struct, frozen=True, array_like=True):
    price: Decimal
    quantity: Decimal
    fee: Decimal  # in the quote asset


def moves(base: str, quote: str, side: Side, trades: Iterable[Trade]) -> dict[str, Decimal]:
    """Per asset, what `trades` add to (positive) or take from (negative) the wallet."""
    base_delta = Decimal(0)
    quote_delta = Decimal(0)
    for trade in trades:
        notional = trade.price * trade.quantity
        if side == "buy":
            base_delta += trade.quantity
            quote_delta -= notional + trade.fee
        else:
            base_delta -= trade.quantity
            quote_delta += notional - trade.fee
    return {base: base_delta, quote: quote_delta}


def required(
    side: Side,
    trades: Iterable[Trade],
    *,
    resting: Decimal = Decimal(0),
    limit_price: Decimal | None = None,
    maker_rate: Decimal = Decimal(0),
) -> Decimal:
    """What an order needs available: in the quote for a buy, in the base for a sell.

    It covers the trades made now and the part left `resting` on the book at its limit price
    (with the maker fee it will pay there), as an exchange holds funds for an open order.
    """
    trades = list(trades)
    if side == "sell":
        return sum((t.quantity for t in trades), Decimal(0)) + resting
    now = sum((t.price * t.quantity + t.fee for t in trades), Decimal(0))
    if resting <= 0 or limit_price is None:
        return now
    return now + resting * limit_price * (1 + maker_rate)


def check_funds(asset: str, available: Decimal, needed: Decimal) -> None:
    """Refuse an order that needs more of `asset` than the account has free."""
    if needed > available:
        raise VenueRejected(
            "insufficient_funds",
            f"the order needs {needed.normalize():f} {asset}; "
            f"{max(available, Decimal(0)).normalize():f} available",
        )


def equity_usd(balances: Mapping[str, Decimal], mids: Mapping[str, Decimal]) -> Decimal:
    """Dollars at par plus every other asset at its USD mid (`mids` by asset).

    An asset without a mid (no market for it on the venue) is left out rather than guessed.
    """
    total = Decimal(0)
    for asset, amount in balances.items():
        if asset.upper() in DOLLARS:
            total += amount
        elif asset in mids:
            total += amount * mids[asset]
    return total.quantize(EQUITY_STEP)


class OpenOrder(msgspec.Struct, frozen=True, kw_only=True):
    """What is left of an order resting on the book."""

    base: str
    quote: str
    side: Side
    remaining: Decimal
    limit_price: Decimal


def holds(orders: Iterable[OpenOrder], maker_rate: Decimal) -> dict[str, Decimal]:
    """Per asset, what the account's resting orders keep from being spent elsewhere."""
    held: dict[str, Decimal] = {}
    for order in orders:
        if order.side == "buy":
            asset = order.quote
            amount = required(
                "buy",
                (),
                resting=order.remaining,
                limit_price=order.limit_price,
                maker_rate=maker_rate,
            )
        else:
            asset, amount = order.base, order.remaining
        held[asset] = held.get(asset, Decimal(0)) + amount
    return held

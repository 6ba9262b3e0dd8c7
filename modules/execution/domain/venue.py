"""What execution and a venue say to each other: order requests, venue orders and their fills,
books, fee rates, and the three ways a venue call can fail.

The `Venue` port that carries them is in ports.py.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

Side = Literal["buy", "sell"]
OrderType = Literal["market", "limit"]
Liquidity = Literal["maker", "taker"]
# `expired`: the venue cancelled what it could not fill (a market order on a thin book).
# `cancelled`: the rest of the order was cancelled at our request; its fills stand.
VenueOrderStatus = Literal["open", "filled", "expired", "cancelled"]


class VenueFees(msgspec.Struct, frozen=True):
    """Fee rates as fractions of notional (0.001 = 0.1 %)."""

    taker: Decimal
    maker: Decimal


class Level(msgspec.Struct, frozen=True, array_like=True):
    price: Decimal
    size: Decimal


class Book(msgspec.Struct, frozen=True, kw_only=True):
    """Top of a venue's order book, best level first on each side."""

    venue: str
    symbol: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    at: datetime


class OrderRequest(msgspec.Struct, frozen=True, kw_only=True):
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None


class VenueFill(msgspec.Struct, frozen=True, kw_only=True):
    trade_id: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    at: datetime


class VenueOrder(msgspec.Struct, frozen=True, kw_only=True):
    venue: str
    venue_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    status: VenueOrderStatus
    fills: tuple[VenueFill, ...] = ()

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled


class VenueRejected(Exception):
    """The venue refused the order; definitive, so it must not be retried."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class VenueUnavailable(Exception):
    """The outcome is unknown (timeout, connection lost): look the order up before retrying."""


class VenueFault(Exception):
    """The venue failed the request and did *not* act on it (5xx, 429).

    `code` is `venue_unavailable` or `rate_limited`: routing treats both as venue faults and
    may fail the order over to another venue.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def account_fingerprint(api_key: str) -> str:
    """A stable, non-reversible name for the exchange account behind an API key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:32]

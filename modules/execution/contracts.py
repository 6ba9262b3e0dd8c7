"""Execution's published language: what happened to an order at its venue, and venue books."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

import msgspec

from modules.kernel.events import IntegrationEvent

Liquidity = Literal["maker", "taker"]


class OrderAccepted(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "execution.order-accepted.v1"
    order_id: str
    user_id: str
    venue: str
    client_order_id: str
    venue_order_id: str


class OrderFilled(IntegrationEvent, frozen=True, kw_only=True):
    """One fill (an execution at the venue). `status` is the order's state after it."""

    TOPIC: ClassVar[str] = "execution.order-filled.v1"
    order_id: str
    user_id: str
    venue: str
    fill_id: str
    symbol: str
    side: Literal["buy", "sell"]
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal
    status: Literal["partially_filled", "filled"]


class OrderRejected(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "execution.order-rejected.v1"
    order_id: str
    user_id: str
    venue: str
    code: str
    reason: str


class OrderExpired(IntegrationEvent, frozen=True, kw_only=True):
    """The unfilled rest of an order was cancelled (e.g. a market order the book could not fill)."""

    TOPIC: ClassVar[str] = "execution.order-expired.v1"
    order_id: str
    user_id: str
    venue: str
    filled_quantity: Decimal
    remaining_quantity: Decimal
    reason: str


class BookLevel(msgspec.Struct, frozen=True, array_like=True):
    price: Decimal
    size: Decimal


class VenueBookUpdated(IntegrationEvent, frozen=True, kw_only=True):
    """A venue's order book top levels and fee schedule, published every market tick.

    Published straight to the bus (not through the outbox): a newer snapshot supersedes a lost
    one, so at-most-once is the right guarantee for it.
    """

    TOPIC: ClassVar[str] = "execution.venue-book-updated.v1"
    venue: str
    symbol: str
    bids: list[BookLevel]
    asks: list[BookLevel]
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms: float
    success_rate: float = 1.0


class CredentialUnsealed(IntegrationEvent, frozen=True, kw_only=True):
    """Execution opened a sealed credential in memory to act for `order_id` (for the audit log).

    Carries identifiers only, never material.
    """

    TOPIC: ClassVar[str] = "execution.credential-unsealed.v1"
    credential_id: str
    user_id: str
    venue: str
    order_id: str
    purpose: Literal["place_order"]


class CredentialVerified(IntegrationEvent, frozen=True, kw_only=True):
    """Execution's answer to a verification request: what the venue says the key may do."""

    TOPIC: ClassVar[str] = "execution.credential-verified.v1"
    request_id: str
    credential_id: str
    user_id: str
    venue: str
    ok: bool
    permissions: list[str]
    reason: str = ""

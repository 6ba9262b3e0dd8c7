"""The venue port: what execution needs from an exchange, simulated (adapters/sim_venue/) or
real through ccxt (adapters/ccxt_venue/).

An adapter must make `place_order` idempotent on `client_order_id` (placing the same id twice
returns the order already there) and must be able to find an order by that id. Those two
properties are what exactly-once placement is built on: an ambiguous outcome (timeout, crash
before our commit) is resolved by asking the venue, never by blindly sending again.

The other protocols are optional capabilities, checked with `isinstance`: an adapter without
them still places orders.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from modules.execution.domain.bars import Bar, Timeframe
from modules.execution.domain.history import Shape
from modules.execution.domain.sim_market import SimFaults
from modules.execution.domain.venue import Book, OrderRequest, VenueFees, VenueOrder
from modules.kernel.sealing import CredentialMaterial


@runtime_checkable
class Venue(Protocol):
    name: str
    fees: VenueFees
    latency_ms: float
    symbols: frozenset[str]

    async def book(self, symbol: str) -> Book: ...

    async def place_order(
        self, request: OrderRequest, credential: CredentialMaterial
    ) -> VenueOrder: ...

    async def fetch_order_by_client_id(
        self, client_order_id: str, credential: CredentialMaterial
    ) -> VenueOrder | None: ...


@runtime_checkable
class VerifiesCredentials(Protocol):
    async def verify_credential(self, credential: CredentialMaterial) -> list[str]:
        """What the key may do ("read", "trade", "withdraw"); `VenueRejected` for a refused key."""
        ...


@runtime_checkable
class CancelsOrders(Protocol):
    async def cancel_order(
        self, client_order_id: str, symbol: str, credential: CredentialMaterial
    ) -> VenueOrder | None:
        """Cancel the unfilled rest of an order; the order as the venue holds it afterwards.

        `cancelled` with the fills made before the cancel, or `filled`/`expired` when the order
        ended first; None when the venue does not know the order. Like placing, a timeout
        (`VenueUnavailable`) leaves the outcome unknown: look the order up.
        """
        ...


@runtime_checkable
class ListsAccountOrders(Protocol):
    async def account_orders(
        self, credential: CredentialMaterial, since: datetime
    ) -> list[VenueOrder]:
        """Orders on the key's account created after `since` (to spot orders we did not send)."""
        ...


@runtime_checkable
class ProvidesHistory(Protocol):
    """Closed OHLCV bars of the venue's markets (for the bars worker and for backtests)."""

    def market_now(self) -> datetime:
        """The venue's market clock (a simulated market may run faster than the wall clock)."""
        ...

    async def history(
        self, symbol: str, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        """The closed bars starting in [start, end), oldest first; none still under way."""
        ...


@runtime_checkable
class DescribesBook(Protocol):
    """A venue whose book has a fixed shape around its mid (a simulated one), for backtests."""

    def book_shape(self, symbol: str) -> Shape: ...


@runtime_checkable
class HoldsConnections(Protocol):
    async def close(self) -> None: ...


@runtime_checkable
class TakesFaults(Protocol):
    """A simulated venue: admins inject faults into it to exercise failover."""

    faults: SimFaults


@runtime_checkable
class ReportsBalances(Protocol):
    async def balances(self, credential: CredentialMaterial) -> dict[str, Decimal]:
        """The account's total balance per asset (free and held by open orders), non-zero ones
        and always the quote currency; `VenueRejected` for a refused key."""
        ...

"""Routing's subscriptions: which venues each user can trade on, venue books, order progress."""

from __future__ import annotations

from collections.abc import Sequence

from modules.execution.contracts import (
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    VenueBookUpdated,
)
from modules.kernel.module import Subscription
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.repository import RoutingRepository
from modules.vault.contracts import CredentialRevoked, CredentialStored


class RoutingHandlers:
    def __init__(self, repository: RoutingRepository, books: MarketBooks) -> None:
        self._repo = repository
        self._books = books

    async def credential_stored(self, event: CredentialStored, uow: UnitOfWork) -> None:
        await self._repo.store_credential(uow.conn, event)

    async def credential_revoked(self, event: CredentialRevoked, uow: UnitOfWork) -> None:
        await self._repo.revoke_credential(uow.conn, event)

    async def book_updated(self, event: VenueBookUpdated) -> None:
        self._books.update(event)

    async def order_accepted(self, event: OrderAccepted, uow: UnitOfWork) -> None:
        await self._repo.order_accepted(uow.conn, event.order_id, event.venue_order_id)

    async def order_filled(self, event: OrderFilled, uow: UnitOfWork) -> None:
        await self._repo.order_filled(uow.conn, event)

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        await self._repo.order_expired(uow.conn, event)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        await self._repo.order_rejected(uow.conn, event)

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            Subscription(CredentialStored, self.credential_stored, "credential-stored"),
            Subscription(CredentialRevoked, self.credential_revoked, "credential-revoked"),
            Subscription(VenueBookUpdated, self.book_updated, "venue-book", durable=False),
            Subscription(OrderAccepted, self.order_accepted, "order-accepted"),
            Subscription(OrderFilled, self.order_filled, "order-filled"),
            Subscription(OrderExpired, self.order_expired, "order-expired"),
            Subscription(OrderRejected, self.order_rejected, "order-rejected"),
        ]

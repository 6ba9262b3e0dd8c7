"""Routing's subscriptions: credentials, venue books, order progress, users' standing."""

from __future__ import annotations

import time
from collections.abc import Sequence

from modules.execution.contracts import (
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
    UserTradingPaused,
    UserTradingResumed,
    VenueBookUpdated,
    VenueHealthChanged,
)
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.module import Subscription
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.venue_monitor import VenueHealth
from modules.routing.repository import RoutingRepository
from modules.routing.service import RoutingService
from modules.vault.contracts import CredentialRevoked, CredentialStored


class RoutingHandlers:
    def __init__(
        self, repository: RoutingRepository, books: MarketBooks, service: RoutingService
    ) -> None:
        self._repo = repository
        self._books = books
        self._service = service

    async def credential_stored(self, event: CredentialStored, uow: UnitOfWork) -> None:
        await self._repo.store_credential(uow.conn, event)

    async def credential_revoked(self, event: CredentialRevoked, uow: UnitOfWork) -> None:
        await self._repo.revoke_credential(uow.conn, event)

    async def book_updated(self, event: VenueBookUpdated) -> None:
        self._books.update(event)

    async def venue_health(self, event: VenueHealthChanged) -> None:
        self._service.monitor.health(
            event.venue,
            VenueHealth(
                breaker_state=event.breaker_state,
                success_rate=event.success_rate,
                queue_depth=event.queue_depth,
                at=time.monotonic(),
            ),
        )

    async def position_changed(self, event: PositionChanged, uow: UnitOfWork) -> None:
        # Routing folds fills itself (it needs realised P&L per day); from execution it only
        # learns the id users see for the position, so a close may name it.
        await self._repo.link_position(
            uow.conn,
            event.user_id,
            event.venue,
            event.symbol,
            event.position_id,
            event.occurred_at,
        )

    async def trading_paused(self, event: UserTradingPaused, uow: UnitOfWork) -> None:
        await self._repo.set_paused(
            uow.conn, event.user_id, True, event.reason[:200], event.occurred_at
        )

    async def trading_resumed(self, event: UserTradingResumed, uow: UnitOfWork) -> None:
        await self._repo.set_paused(uow.conn, event.user_id, False, None, event.occurred_at)

    async def order_accepted(self, event: OrderAccepted, uow: UnitOfWork) -> None:
        await self._service.on_accepted(event.order_id, event.venue_order_id, uow)

    async def order_filled(self, event: OrderFilled, uow: UnitOfWork) -> None:
        await self._service.on_filled(event, uow)

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        await self._service.on_expired(event, uow)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        await self._service.on_rejected(event, uow)

    # Suspension and reinstatement may arrive in either order: the later one by time wins.
    async def user_suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        await self._repo.set_suspended(
            uow.conn, event.user_id, True, event.reason[:500], event.occurred_at
        )

    async def user_reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._repo.set_suspended(uow.conn, event.user_id, False, None, event.occurred_at)

    async def user_tier_changed(self, event: UserTierChanged, uow: UnitOfWork) -> None:
        await self._repo.set_tier(uow.conn, event.user_id, event.tier, event.occurred_at)

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            Subscription(CredentialStored, self.credential_stored, "credential-stored"),
            Subscription(CredentialRevoked, self.credential_revoked, "credential-revoked"),
            Subscription(VenueBookUpdated, self.book_updated, "venue-book", durable=False),
            Subscription(VenueHealthChanged, self.venue_health, "venue-health", durable=False),
            Subscription(UserTradingPaused, self.trading_paused, "user-trading-paused"),
            Subscription(PositionChanged, self.position_changed, "position-changed"),
            Subscription(UserTradingResumed, self.trading_resumed, "user-trading-resumed"),
            Subscription(OrderAccepted, self.order_accepted, "order-accepted"),
            Subscription(OrderFilled, self.order_filled, "order-filled"),
            Subscription(OrderExpired, self.order_expired, "order-expired"),
            Subscription(OrderRejected, self.order_rejected, "order-rejected"),
            Subscription(UserSuspended, self.user_suspended, "user-suspended"),
            Subscription(UserReinstated, self.user_reinstated, "user-reinstated"),
            Subscription(UserTierChanged, self.user_tier_changed, "user-tier-changed"),
        ]

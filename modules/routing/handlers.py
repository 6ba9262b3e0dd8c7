"""Routing's subscriptions: credentials, venue books, order progress, users' standing.

Execution's reports on an order are folded here: statuses and fills onto the order (through the
route attempt execution knows it by), fills into the user's positions and realised P&L, each
outcome into the venue's measured success rate, and a venue fault into a re-route to the next
best venue (at most `max_reroutes` times) with a new id and client order id per attempt.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

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
from modules.kernel.module import Runtime, Subscription
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.positions import PositionState, fold_fill
from modules.routing.adapters.venue_monitor import VenueHealth
from modules.routing.adapters.venue_scoring import Decision, Intent, explain
from modules.routing.repository import AttemptRow, NewOrder, RoutingRepository
from modules.routing.service import FAULT_CODES, RoutingService, attempt_id, client_order_id
from modules.vault.contracts import CredentialRevoked, CredentialStored


class RoutingHandlers:
    def __init__(
        self,
        runtime: Runtime,
        repository: RoutingRepository,
        books: MarketBooks,
        service: RoutingService,
    ) -> None:
        self._repo = repository
        self._books = books
        self._service = service
        self._clock = runtime.clock

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
        await self._repo.positions.link_position(
            uow.conn,
            event.user_id,
            event.venue,
            event.symbol,
            event.position_id,
            event.occurred_at,
        )

    async def trading_paused(self, event: UserTradingPaused, uow: UnitOfWork) -> None:
        await self._repo.risk.set_paused(
            uow.conn, event.user_id, True, event.reason[:200], event.occurred_at
        )

    async def trading_resumed(self, event: UserTradingResumed, uow: UnitOfWork) -> None:
        await self._repo.risk.set_paused(uow.conn, event.user_id, False, None, event.occurred_at)

    # -- execution's reports ------------------------------------------------------------------
    async def order_accepted(self, event: OrderAccepted, uow: UnitOfWork) -> None:
        self._service.monitor.settled(event.order_id)
        row = await self._repo.reports.lock_attempt(uow.conn, event.order_id)
        if row is not None:
            await self._repo.reports.order_accepted(uow.conn, row, event.venue_order_id)

    async def order_filled(self, event: OrderFilled, uow: UnitOfWork) -> None:
        self._service.monitor.settled(event.order_id)
        row = await self._repo.reports.lock_attempt(uow.conn, event.order_id)
        if row is None or not await self._repo.reports.order_filled(uow.conn, row, event):
            return
        await self._fold_position(event, uow)
        if event.status == "filled":
            await self._outcome(uow, event.venue, event.symbol, True)

    async def _fold_position(self, event: OrderFilled, uow: UnitOfWork) -> None:
        at = event.occurred_at
        current = await self._repo.positions.lock_position(
            uow.conn, event.user_id, event.venue, event.symbol, at
        )
        state = PositionState(
            quantity=current["quantity"],
            average_price=current["average_price"],
            realized_pnl=current["realized_pnl"],
            fees=current["fees"],
        )
        folded = fold_fill(state, event.side, event.quantity, event.price, event.fee)
        await self._repo.positions.save_position(
            uow.conn, current["id"], folded.state, state.quantity == 0, at
        )
        await self._repo.positions.add_daily_pnl(
            uow.conn, event.user_id, at.astimezone(UTC).date(), folded.realized_delta
        )

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        self._service.monitor.settled(event.order_id)
        row = await self._repo.reports.lock_attempt(uow.conn, event.order_id)
        if row is not None and row.attempt == row.current_attempt:
            await self._repo.reports.order_expired(uow.conn, row, event)
            await self._outcome(uow, event.venue, row.symbol, True)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        self._service.monitor.settled(event.order_id)
        row = await self._repo.reports.lock_attempt(uow.conn, event.order_id)
        if row is None:
            return
        fault = event.code in FAULT_CODES
        if fault:
            await self._outcome(uow, event.venue, row.symbol, False)
        await self._repo.reports.attempt_failed(uow.conn, event.order_id, event)
        live = row.status in ("routed", "accepted")
        if row.attempt != row.current_attempt or not live:
            return  # a superseded attempt, or the order already finished
        if fault and row.current_attempt < self._service.config.max_reroutes:
            if await self._reroute(uow, row):
                return
        reason = event.reason
        if fault and row.current_attempt >= self._service.config.max_reroutes:
            reason = f"{reason} (after {row.current_attempt} re-routes)"
        await self._repo.reports.order_rejected(uow.conn, row, event.code, reason)

    async def _reroute(self, uow: UnitOfWork, row: AttemptRow) -> bool:
        tried = await self._repo.reports.tried_venues(uow.conn, row.order_id)
        credentials = await self._repo.credentials_in(uow.conn, row.user_id)
        intent = Intent(
            symbol=row.symbol,
            side=row.side,  # type: ignore[arg-type]
            order_type=row.order_type,  # type: ignore[arg-type]
            quantity=row.quantity,
            limit_price=row.limit_price,
        )
        decision = self._service.decide(
            intent, self._books.for_symbol(row.symbol), credentials, tried
        )
        chosen = decision.chosen
        if chosen is None:
            return False
        attempt = row.current_attempt + 1
        aid = attempt_id(row.order_id, attempt)
        now = self._clock()
        credential = credentials[chosen.venue]
        await self._record_attempt(uow, row, decision, aid, attempt, credential, now)
        order = NewOrder(
            id=row.order_id,
            user_id=row.user_id,
            client_order_id=client_order_id(aid),
            intent=intent,
            venue=chosen.venue,
            credential_id=credential,
            created_at=now,
            signal=row.signal,
            priority=row.priority,
            parent_order_id=row.parent_order_id,
        )
        self._service.publish_route(uow, order, decision, attempt)
        return True

    async def _record_attempt(
        self,
        uow: UnitOfWork,
        row: AttemptRow,
        decision: Decision,
        aid: uuid.UUID,
        attempt: int,
        credential: str,
        now: datetime,
    ) -> None:
        """The re-route's attempt, its decision, and the order now pointing at it."""
        chosen = decision.chosen
        assert chosen is not None
        cid = client_order_id(aid)
        await self._repo.orders.insert_attempt(
            uow.conn, aid, row.order_id, attempt, chosen.venue, cid, credential, now
        )
        await self._repo.orders.insert_decision(
            uow.conn,
            aid,
            chosen.venue,
            decision.candidates,
            now,
            attempt,
            f"re-route {attempt} after {row.venue} failed: " + explain(decision),
        )
        await self._repo.reports.rerouted(
            uow.conn, row.order_id, attempt, chosen.venue, cid, credential
        )

    async def _outcome(self, uow: UnitOfWork, venue: str, symbol: str, ok: bool) -> None:
        await self._repo.record_outcome(uow.conn, venue, symbol, ok, self._clock())
        uow.after_commit(lambda: self._service.monitor.record(venue, symbol, ok))

    # Suspension and reinstatement may arrive in either order: the later one by time wins.
    async def user_suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        await self._repo.risk.set_suspended(
            uow.conn, event.user_id, True, event.reason[:500], event.occurred_at
        )

    async def user_reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._repo.risk.set_suspended(uow.conn, event.user_id, False, None, event.occurred_at)

    async def user_tier_changed(self, event: UserTierChanged, uow: UnitOfWork) -> None:
        await self._repo.risk.set_tier(uow.conn, event.user_id, event.tier, event.occurred_at)

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

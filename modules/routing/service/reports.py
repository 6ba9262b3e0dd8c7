"""Execution's reports on an order, folded onto it; a venue's fault re-routes it.

Statuses and fills go onto the order through the route attempt execution knows it by; each
outcome into the venue's measured success rate; and a rejection that blames the venue into a
re-route to the next best venue (at most `max_reroutes` times), with a new attempt id and client
order id per attempt.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from modules.execution.contracts import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from modules.kernel.metrics import Labelled
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.config import RoutingConfig
from modules.routing.domain.attempts import FAULT_CODES, attempt_id, client_order_id
from modules.routing.domain.market_books import MarketBooks
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.domain.venue_scoring import Decision, Intent, explain
from modules.routing.repository.cancels import CancelRepository
from modules.routing.repository.credentials import CredentialRepository
from modules.routing.repository.fills import FillFolded, FillRepository
from modules.routing.repository.orders import AttemptRow, NewOrder, OrderRepository
from modules.routing.repository.outcomes import OutcomeRepository
from modules.routing.service.handoff import Handoff
from modules.routing.service.planner import Planner


class Reports:
    def __init__(
        self,
        runtime: Runtime,
        books: MarketBooks,
        monitor: VenueMonitor,
        config: RoutingConfig,
        *,
        orders: OrderRepository,
        fills: FillRepository,
        credentials: CredentialRepository,
        outcomes: OutcomeRepository,
        cancels: CancelRepository,
        planner: Planner,
        handoff: Handoff,
    ) -> None:
        self._clock = runtime.clock
        self._books = books
        self._monitor = monitor
        self._config = config
        self._orders = orders
        self._fills = fills
        self._credentials = credentials
        self._outcomes = outcomes
        self._cancels = cancels
        self._planner = planner
        self._handoff = handoff
        self._path = Labelled(
            runtime.metrics.histogram(
                "nija_order_path_seconds",
                "From an order's intake to routing recording the venue's acceptance (stage accept) "
                "or its first fill (stage fill), by venue and order type",
                ["stage", "venue", "order_type"],
                buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            )
        )

    def _observe_path(
        self, uow: UnitOfWork, stage: str, venue: str, order_type: str, created_at: datetime
    ) -> None:
        seconds = max((self._clock() - created_at).total_seconds(), 0.0)
        child = self._path.labels(stage, venue, order_type)
        uow.after_commit(lambda: child.observe(seconds))

    async def order_accepted(self, event: OrderAccepted, uow: UnitOfWork) -> None:
        self._monitor.settled(event.order_id)
        accepted = await self._orders.order_accepted(uow.conn, event.order_id, event.venue_order_id)
        if accepted is not None:
            self._observe_path(
                uow, "accept", accepted.venue, accepted.order_type, accepted.created_at
            )

    async def order_filled(
        self, event: OrderFilled, uow: UnitOfWork, accepted: OrderAccepted | None = None
    ) -> None:
        """The fill; with `accepted`, the acceptance of the same attempt that came with it,
        recorded by the fill's statement when it can be (a single order's new fill)."""
        await self.orders_filled([(event, accepted)], uow)

    async def orders_filled(
        self, fills: list[tuple[OrderFilled, OrderAccepted | None]], uow: UnitOfWork
    ) -> None:
        """`order_filled` for several attempts (one fill each), single orders' fills folded in
        one statement; the others (a child's, an unknown attempt's) each on their own path."""
        for fill, _ in fills:
            self._monitor.settled(fill.order_id)
        now = self._clock()
        folded = await self._fills.fill_singles(
            uow.conn,
            [
                (fill, None if accepted is None else accepted.venue_order_id)
                for fill, accepted in fills
            ],
            now,
        )
        for fill, accepted in fills:
            await self._fill_folded(fill, accepted, folded.get(fill.order_id), now, uow)

    async def _fill_folded(
        self,
        event: OrderFilled,
        accepted: OrderAccepted | None,
        folded: FillFolded | None,
        now: datetime,
        uow: UnitOfWork,
    ) -> None:
        if accepted is not None:
            await self._accepted_with(accepted, folded, uow)
        if folded is None:  # a split's or TWAP's child (its parent locked first), or unknown
            folded = await self._fill_child(uow, event, now)
        if folded is None or not folded.recorded:
            return
        first = event.filled_quantity == event.quantity  # the attempt's first fill
        if first and folded.created_at is not None and folded.attempt == folded.current_attempt:
            self._observe_path(uow, "fill", folded.venue, folded.order_type, folded.created_at)
        if event.status == "filled":  # its outcome recorded with the fill
            uow.after_commit(lambda: self._monitor.record(event.venue, event.symbol, True))

    async def _accepted_with(
        self, accepted: OrderAccepted, folded: FillFolded | None, uow: UnitOfWork
    ) -> None:
        """The acceptance that came with a fill: the fill's statement recorded it with a new
        fill of a single order; otherwise it is recorded on its own (before a child's fill)."""
        if folded is None or not folded.recorded:
            await self.order_accepted(accepted, uow)
        elif folded.created_at is not None and folded.attempt == folded.current_attempt:
            self._observe_path(uow, "accept", folded.venue, folded.order_type, folded.created_at)

    async def _fill_child(
        self, uow: UnitOfWork, event: OrderFilled, now: datetime
    ) -> FillFolded | None:
        row = await self._orders.lock_attempt(uow.conn, event.order_id)
        if row is None:
            return None
        recorded = await self._orders.order_filled(uow.conn, row, event, now)
        return FillFolded(
            recorded=recorded,
            attempt=row.attempt,
            current_attempt=row.current_attempt,
            venue=row.venue,
            order_type=row.order_type,
            created_at=row.created_at,
        )

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        self._monitor.settled(event.order_id)
        row = await self._orders.lock_attempt(uow.conn, event.order_id)
        if row is not None and row.attempt == row.current_attempt:
            await self._orders.order_expired(uow.conn, row, event)
            await self._outcome(uow, event.venue, row.symbol, True)

    async def order_cancelled(self, event: OrderCancelled, uow: UnitOfWork) -> None:
        self._monitor.settled(event.order_id)
        row = await self._orders.lock_attempt(uow.conn, event.order_id)
        if row is not None and row.attempt == row.current_attempt:
            await self._cancels.order_cancelled(uow.conn, row.order_id, event.filled_quantity)
            await self._orders.roll_up(uow.conn, row)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        self._monitor.settled(event.order_id)
        row = await self._orders.lock_attempt(uow.conn, event.order_id)
        if row is None:
            return
        fault = event.code in FAULT_CODES
        if fault:
            await self._outcome(uow, event.venue, row.symbol, False)
        await self._orders.attempt_failed(uow.conn, event.order_id, event)
        live = row.status in ("routed", "accepted")
        if row.attempt != row.current_attempt or not live:
            return  # a superseded attempt, or the order already finished
        # A cancel asked for stops the order here: no other venue gets it.
        if fault and not row.cancelling and row.current_attempt < self._config.max_reroutes:
            if await self._reroute(uow, row):
                return
        reason = event.reason
        if fault and row.current_attempt >= self._config.max_reroutes:
            reason = f"{reason} (after {row.current_attempt} re-routes)"
        await self._orders.order_rejected(uow.conn, row, event.code, reason)

    async def _reroute(self, uow: UnitOfWork, row: AttemptRow) -> bool:
        tried = await self._orders.tried_venues(uow.conn, row.order_id)
        credentials = await self._credentials.credentials_in(uow.conn, row.user_id)
        intent = Intent(
            symbol=row.symbol,
            side=row.side,
            order_type=row.order_type,
            quantity=row.quantity,
            limit_price=row.limit_price,
        )
        decision = self._planner.decide(
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
            source=row.source,
            priority=row.priority,
            parent_order_id=row.parent_order_id,
        )
        self._handoff.publish_route(uow, order, decision, attempt)
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
        await self._orders.insert_attempt(
            uow.conn, aid, row.order_id, attempt, chosen.venue, cid, credential, now
        )
        await self._orders.insert_decision(
            uow.conn,
            aid,
            chosen.venue,
            decision.candidates,
            now,
            attempt,
            f"re-route {attempt} after {row.venue} failed: " + explain(decision),
        )
        await self._orders.rerouted(uow.conn, row.order_id, attempt, chosen.venue, cid, credential)

    async def _outcome(self, uow: UnitOfWork, venue: str, symbol: str, ok: bool) -> None:
        await self._outcomes.record_outcome(uow.conn, venue, symbol, ok, self._clock())
        uow.after_commit(lambda: self._monitor.record(venue, symbol, ok))

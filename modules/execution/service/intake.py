"""Taking routed orders in: queue each one durably (or refuse it at once), halt on a kill switch.

The `OrderRouted` handler only *enqueues* (a `queued` row, client order id fixed) and returns;
the venue's queue workers (workers/venue_pool.py) claim rows fairly and place them outside any
inbox transaction (placement.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from modules.execution.domain.orders import QueuedOrder
from modules.execution.ports import Venue
from modules.execution.repository.orders import Enqueued, OrderRepository
from modules.execution.service.credentials import Credentials, usable
from modules.execution.service.outcomes import OrderOutcomes
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import KillSwitchChanged, OrderRouted


class Intake:
    def __init__(
        self,
        venues: Mapping[str, Venue],
        *,
        orders: OrderRepository,
        credentials: Credentials,
        outcomes: OrderOutcomes,
        nudge: Callable[[str], None],
    ) -> None:
        self._venues = venues
        self._orders = orders
        self._credentials = credentials
        self._outcomes = outcomes
        # Wakes the venue's queue workers once the order is committed.
        self._nudge = nudge

    async def enqueue(self, events: list[OrderRouted], uow: UnitOfWork) -> None:
        """Durably queue routed orders (or refuse them at once), in one statement for a batch
        delivered together; placement happens later."""
        ordered = sorted(events, key=lambda event: event.order_id)
        for event, enqueued in zip(
            ordered, await self._orders.enqueue(uow.conn, ordered), strict=True
        ):
            await self._admit(event, enqueued, uow)

    async def _admit(self, event: OrderRouted, enqueued: Enqueued, uow: UnitOfWork) -> None:
        if not enqueued.fresh:
            return  # a redelivery: the order was queued (or refused) the first time
        standing = enqueued.standing
        # Raises RetryLater while the credential may still be on its way from vault: the
        # order's row goes with the rolled-back transaction, and the event comes again.
        self._credentials.check_known(standing, event.credential_id, event.occurred_at)
        refusal = None
        if event.venue not in self._venues:
            refusal = ("unknown_venue", f"no venue named {event.venue}")
        elif not usable(standing.credential, event.user_id, event.venue):
            refusal = ("credential_unavailable", "the credential is revoked or unknown")
        elif standing.paused:
            refusal = ("user_paused", "trading is paused for this user")
        if refusal is not None:
            await self._outcomes.reject_in(uow, _order_of(event), *refusal)
            return
        venue = event.venue
        uow.after_commit(lambda: self._nudge(venue))

    async def halt_queued(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        """A kill switch stops what is still queued, not only what routing has yet to send;
        what it cannot reach now (an order being claimed, or still on its way) is refused when
        claimed, for as long as the switch stays engaged."""
        user_id = event.user_id if event.scope == "user" else None
        if event.scope == "user" and user_id is None:
            return
        await self._orders.set_kill_switch(uow.conn, user_id or "*", event.active)
        if not event.active:
            return
        for order in await self._orders.lock_queued(uow.conn, user_id):
            await self._outcomes.reject_in(
                uow, order, "kill_switch_active", f"trading halted by a {event.scope} kill switch"
            )


def _order_of(event: OrderRouted) -> QueuedOrder:
    return QueuedOrder(
        order_id=event.order_id,
        user_id=event.user_id,
        client_order_id=event.client_order_id,
        venue=event.venue,
        credential_id=event.credential_id,
        symbol=event.symbol,
        side=event.side,
        order_type=event.order_type,
        quantity=event.quantity,
        limit_price=event.limit_price,
        status="queued",
        priority=event.priority,
        signal=event.signal,
        source=event.source,
    )

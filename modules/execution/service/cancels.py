"""Cancelling orders, and learning what resting orders did at their venue.

Routing asks for a cancel with `CancelOrderRequested`. An order still queued is cancelled on the
spot (no venue ever saw it); an order on its way or at the venue is marked, and the open-orders
round (workers/open_orders.py) asks the venue to cancel it once it is there. The venue answers
with the order as it now stands: the fills made before the cancel stand and are recorded like
any others, and the order ends `cancelled`, or `filled` when the market got there first, in one
transaction (outcomes.py). A cancel whose answer is lost is settled by looking the order up, and
asked again next round while the order is still open; cancelling twice is harmless at a venue.

The same round looks up the other resting orders every `resting_poll_seconds`, so fills of a
limit order that rests on the book reach the trader without a cancel. An account's key is
unsealed once per round for all of its orders (one audit event, not one per order), and when
any of them brought new fills the account's balances are read once and published
(`BalanceChanged`), as after a placement that filled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Literal

from modules.execution.domain.orders import TERMINAL, QueuedOrder
from modules.execution.domain.venue import VenueFault, VenueOrder, VenueRejected, VenueUnavailable
from modules.execution.ports import CancelsOrders, Venue
from modules.execution.repository.orders import OrderRepository
from modules.execution.service.balances import BalanceReports
from modules.execution.service.credentials import Credentials
from modules.execution.service.order_events import cancelled_in_queue
from modules.execution.service.outcomes import OrderOutcomes
from modules.execution.service.placement import lookup
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import RetryLater
from modules.kernel.sealing import CredentialMaterial
from modules.routing.contracts import CancelOrderRequested

log = logging.getLogger("nija.execution")
CANCEL_TIMEOUT_SECONDS = 10.0


class Cancels:
    def __init__(
        self,
        runtime: Runtime,
        *,
        orders: OrderRepository,
        credentials: Credentials,
        outcomes: OrderOutcomes,
        balances: BalanceReports,
        resting_poll_seconds: float,
        wake: Callable[[], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime = runtime
        self._orders = orders
        self._credentials = credentials
        self._outcomes = outcomes
        self._balances = balances
        self._poll_every = resting_poll_seconds
        # Runs the open-orders round now, once a cancel is committed.
        self._wake = wake
        self._monotonic = monotonic
        self._polled_at: float | None = None
        # One round at a time: the worker's tick and a cancel's wake-up would otherwise look up
        # the same resting orders together, split their fills and report balances twice.
        self._round_lock = asyncio.Lock()

    async def request(self, event: CancelOrderRequested, uow: UnitOfWork) -> None:
        order = await self._orders.order(uow.conn, event.order_id)
        if order is None:
            # Routing's hand-off of the order travels on another topic and may come later.
            raise RetryLater(f"order {event.order_id} not known yet")
        if order.status in TERMINAL:
            return
        if order.status == "queued":
            await self._orders.set_status(uow.conn, order.order_id, "cancelled")
            uow.publish(cancelled_in_queue(order))
            return
        await self._orders.request_cancel(uow.conn, order.order_id)
        uow.after_commit(self._wake)

    async def round(self) -> None:
        """Cancel what waits for a cancel; every `resting_poll_seconds`, look at the rest."""
        async with self._round_lock:
            await self._round()

    async def _round(self) -> None:
        poll = self._polled_at is None or self._monotonic() - self._polled_at >= self._poll_every
        async with self._runtime.db.connection() as conn:
            cancelling = await self._orders.resting(conn, cancelling=True)
            resting = await self._orders.resting(conn, cancelling=False) if poll else []
        if poll:
            self._polled_at = self._monotonic()
        for orders in _by_account(cancelling):
            await self._settle_account(orders, cancel=True)
        for orders in _by_account(resting):
            await self._settle_account(orders, cancel=False)

    async def _settle_account(self, orders: list[QueuedOrder], *, cancel: bool) -> None:
        """One account's orders with one unsealing of its key (and one audit event) per round."""
        purpose: Literal["cancel_order", "reconcile"] = "cancel_order" if cancel else "reconcile"
        opened = None
        for order in orders:  # the first order still at the venue opens the key
            opened = await self._credentials.open_for(order, purpose=purpose)
            if opened is not None:
                break
        if opened is None:
            return
        venue, material = opened
        mask = register_secret(material.api_secret)
        try:
            filled = False
            for order in orders:
                filled = await self._settle(order, venue, material, cancel=cancel) or filled
            if filled:
                # After the fills are committed, once for the account's orders of this round.
                first = orders[0]
                await self._balances.after_fill(
                    user_id=first.user_id,
                    credential_id=first.credential_id,
                    venue=venue,
                    material=material,
                )
        finally:
            del mask, material

    async def _settle(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial, *, cancel: bool
    ) -> bool:
        """One order's cancel or look-up; whether it recorded new fills. A failure waits for
        the next round (logged)."""
        try:
            found = await self._ask_venue(order, venue, material, cancel=cancel)
        except (VenueFault, VenueUnavailable, TimeoutError) as error:
            log.info(
                "venue did not settle the order; next round tries again",
                extra={"order_id": order.order_id, "error": type(error).__name__},
            )
            return False
        except VenueRejected as refusal:
            log.warning(
                "venue refused the cancel",
                extra={"order_id": order.order_id, "code": refusal.code},
            )
            return False
        return found is not None and await self._outcomes.record(order, found)

    async def _ask_venue(
        self, order: QueuedOrder, venue: Venue, material: CredentialMaterial, *, cancel: bool
    ) -> VenueOrder | None:
        if not cancel:
            return await lookup(venue, order.client_order_id, material)
        if not isinstance(venue, CancelsOrders):
            log.warning("venue cannot cancel orders", extra={"venue": order.venue})
            return None
        try:
            return await asyncio.wait_for(
                venue.cancel_order(order.client_order_id, order.symbol, material),
                CANCEL_TIMEOUT_SECONDS,
            )
        except (VenueUnavailable, TimeoutError):
            # Like a placement: the outcome is unknown, so ask the venue what it holds.
            return await lookup(venue, order.client_order_id, material)


def _by_account(orders: list[QueuedOrder]) -> list[list[QueuedOrder]]:
    accounts: dict[str, list[QueuedOrder]] = {}
    for order in orders:
        accounts.setdefault(order.credential_id, []).append(order)
    return list(accounts.values())

"""Settling with the venues what our own records cannot: orders left half-done, and strangers.

At start-up every order a dead replica left `placing` or `ambiguous`, and every open order, is
looked up by its client order id; while running, ambiguous orders are retried on each tick. A
periodic sweep lists each live account's recent venue orders for fills we never sent, flags
them once, and pauses the user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from modules.execution.contracts import UnknownFillDetected
from modules.execution.domain.orders import QueuedOrder
from modules.execution.domain.venue import (
    VenueFault,
    VenueOrder,
    VenueRejected,
    VenueUnavailable,
)
from modules.execution.ports import ListsAccountOrders
from modules.execution.repository.credentials import CredentialRepository, StoredCredential
from modules.execution.repository.orders import OrderRepository
from modules.execution.service.credentials import Credentials
from modules.execution.service.order_events import event_id
from modules.execution.service.outcomes import OrderOutcomes
from modules.execution.service.placement import lookup
from modules.execution.service.user_controls import UserControls
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime

log = logging.getLogger("nija.execution")


class Reconciler:
    def __init__(
        self,
        runtime: Runtime,
        replica: str,
        *,
        orders: OrderRepository,
        credential_copies: CredentialRepository,
        credentials: Credentials,
        outcomes: OrderOutcomes,
        user_controls: UserControls,
        nudge: Callable[[str], None],
    ) -> None:
        self._runtime = runtime
        self._replica = replica
        self._orders = orders
        self._copies = credential_copies
        self._credentials = credentials
        self._outcomes = outcomes
        self._user_controls = user_controls
        # Wakes the venue's queue workers when an order goes back on the queue.
        self._nudge = nudge

    async def reconcile(self, *, startup: bool) -> int:
        """Settle orders left placing/ambiguous (by a dead replica) or open, with their venue."""
        async with self._runtime.db.connection() as conn:
            if startup:
                orders = await self._orders.unsettled(conn, self._replica)
            else:
                orders = await self._orders.ambiguous(conn)
        for order in orders:
            try:
                await self._reconcile_one(order)
            except Exception:
                log.exception("reconciliation failed", extra={"order_id": order.order_id})
        return len(orders)

    async def _reconcile_one(self, order: QueuedOrder) -> None:
        opened = await self._credentials.open_for(order, purpose="reconcile")
        if opened is None:
            return
        venue, material = opened
        mask = register_secret(material.api_secret)
        try:
            found = await lookup(venue, order.client_order_id, material)
        except (VenueFault, VenueUnavailable, TimeoutError):
            return
        finally:
            del mask
        if found is not None:
            await self._outcomes.record(order, found)
        elif order.status == "placing":
            # Claimed by a replica that died before the venue saw it: safe to queue again,
            # under the same client order id (the venue would answer with the same order).
            async with self._runtime.unit_of_work("execution") as uow:
                await self._orders.set_status(uow.conn, order.order_id, "queued")
            self._nudge(order.venue)
        elif order.status == "ambiguous":
            await self._outcomes.reject(
                order, "timeout", f"{order.venue} did not answer; order not placed"
            )

    async def sweep_unknown_fills(self, since: datetime) -> int:
        """Look at every live account's recent venue orders for ones we never sent."""
        async with self._runtime.db.connection() as conn:
            credentials = await self._copies.live(conn)
        found = 0
        for stored in credentials:
            venue = self._credentials.venue_for(stored)
            if not isinstance(venue, ListsAccountOrders) or stored.sealed is None:
                continue
            material = await self._credentials.open_for_sweep(stored)
            if material is None:
                continue
            mask = register_secret(material.api_secret)
            try:
                orders = await venue.account_orders(material, since)
            except (VenueRejected, VenueFault, VenueUnavailable):
                continue
            finally:
                del mask, material
            found += await self._flag_unknown(stored, orders)
        return found

    async def _flag_unknown(self, stored: StoredCredential, orders: list[VenueOrder]) -> int:
        if not orders:
            return 0
        async with self._runtime.unit_of_work("execution") as uow:
            known = await self._orders.known_client_ids(
                uow.conn, [o.client_order_id for o in orders]
            )
            flagged = 0
            for order in orders:
                if order.client_order_id in known or not order.fills:
                    continue
                if not await self._orders.record_unknown(
                    uow.conn,
                    order.venue,
                    stored.user_id,
                    order.venue_order_id,
                    order.client_order_id,
                ):
                    continue
                flagged += 1
                log.warning("unknown fill", extra={"user_id": stored.user_id, "venue": order.venue})
                uow.publish(
                    UnknownFillDetected(
                        event_id=event_id(order.venue, order.venue_order_id, "unknown"),
                        user_id=stored.user_id,
                        venue=order.venue,
                        credential_id=stored.credential_id,
                        venue_order_id=order.venue_order_id,
                        client_order_id=order.client_order_id,
                        symbol=order.symbol,
                        side=order.side,
                        quantity=order.filled,
                    )
                )
                await self._user_controls.pause_in(uow, stored.user_id, "unknown_fill")
        return flagged

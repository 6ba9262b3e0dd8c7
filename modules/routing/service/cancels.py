"""Cancelling what is left of an order, or of every open order of a user.

Routing marks the order (and a split's or TWAP's children), stops a TWAP plan from sending more
slices, and asks execution to cancel each live route attempt (`CancelOrderRequested`), all in
one transaction. Execution answers with `OrderCancelled` or with the fills that beat the cancel
(reports.py folds them). A second tap finds the request already made and answers the same.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused
from modules.routing.contracts import CancelOrderRequested
from modules.routing.repository.cancels import CancelRepository, OwnOrder
from modules.routing.schemas import OrderCancel

LIVE = frozenset({"routed", "working", "accepted", "partially_filled"})
_CANCEL_NAMESPACE = uuid.UUID("8d3c6a52-2b4e-4d8f-9c61-7a0e5b3f1c22")


class OrderCancels:
    def __init__(self, runtime: Runtime, cancels: CancelRepository) -> None:
        self._runtime = runtime
        self._cancels = cancels

    async def cancel_order(self, user_id: str, order_id: uuid.UUID) -> OrderCancel:
        async with self._runtime.unit_of_work("routing") as uow:
            found = await self._cancels.own_order(uow.conn, user_id, order_id)
            if found is None:
                raise Refused(Kind.NOT_FOUND, "order_not_found", "No such order")
            return await self._cancel_in(uow, user_id, found)

    async def cancel_all(self, user_id: str) -> list[OrderCancel]:
        """Every open order of the user, each in its own transaction (one stuck order does not
        hold the others back); an order that ended meanwhile is left out."""
        async with self._runtime.db.connection() as conn:
            order_ids = await self._cancels.open_orders(conn, user_id)
        done: list[OrderCancel] = []
        for order_id in order_ids:
            try:
                done.append(await self.cancel_order(user_id, order_id))
            except Refused as refusal:
                if refusal.code != "order_not_open":
                    raise
        return done

    async def _cancel_in(self, uow: UnitOfWork, user_id: str, found: OwnOrder) -> OrderCancel:
        _check_open(found)
        if found.kind == "twap":
            # Before the order's lock: the TWAP worker takes the plan's lock first.
            await self._cancels.stop_plan(uow.conn, found.id)
        order = await self._cancels.lock(uow.conn, found.id)
        _check_open(order)
        if order.cancel_requested_at is not None:
            return _answer(order, order.cancel_requested_at)
        at = self._runtime.clock()
        for attempt_id in await self._cancels.request(uow.conn, order.id, at):
            uow.publish(
                CancelOrderRequested(
                    event_id=str(uuid.uuid5(_CANCEL_NAMESPACE, attempt_id)),
                    order_id=attempt_id,
                    user_id=user_id,
                    original_order_id=str(order.id),
                )
            )
        if order.kind == "single":
            return _answer(order, at)  # still live: execution answers the cancel later
        # A parent with nothing left working ends now: read what the roll-up made of it.
        await self._cancels.settle_parent(uow.conn, order.id)
        return _answer(await self._cancels.lock(uow.conn, order.id), at)


def _check_open(order: OwnOrder) -> None:
    if order.status in LIVE or order.status == "cancelled":
        return
    raise Refused(
        Kind.CONFLICT,
        "order_not_open",
        f"The order is already {order.status}; nothing is left to cancel",
    )


def _answer(order: OwnOrder, requested_at: datetime) -> OrderCancel:
    if order.status == "cancelled":
        return OrderCancel(id=str(order.id), status="cancelled", cancel_requested_at=requested_at)
    return OrderCancel(id=str(order.id), status="cancelling", cancel_requested_at=requested_at)

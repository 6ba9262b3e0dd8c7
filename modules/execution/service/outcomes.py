"""What happens to an order once the venue (or our own checks) has answered: recorded once.

A rejection, an ambiguous mark, a placement with its fills, and the position each new fill
folds into are written in one transaction with the events that report them. Account errors
are counted too (user_controls.py pauses the user after too many in a row).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from modules.execution.domain.ids import position_id
from modules.execution.domain.orders import TERMINAL, QueuedOrder, average_price, order_status
from modules.execution.domain.positions import PositionState, apply_fill, fee_in_quote
from modules.execution.domain.venue import VenueFill, VenueOrder
from modules.execution.repository.orders import OrderRepository
from modules.execution.repository.positions import PositionRepository, PositionRow
from modules.execution.service.order_events import (
    placement_events,
    position_changed,
    rejected_event,
)
from modules.execution.service.user_controls import UserControls
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.execution")


class OrderOutcomes:
    def __init__(
        self,
        runtime: Runtime,
        orders: OrderRepository,
        positions: PositionRepository,
        user_controls: UserControls,
    ) -> None:
        self._runtime = runtime
        self._orders = orders
        self._positions = positions
        self._user_controls = user_controls

    async def mark_ambiguous(self, order: QueuedOrder) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            await self._orders.set_status(uow.conn, order.order_id, "ambiguous")
            await self._user_controls.count_error_in(uow, order.user_id)

    async def reject(self, order: QueuedOrder, code: str, reason: str, error: bool = False) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._orders.order(uow.conn, order.order_id)
            if locked is None or locked.status in TERMINAL:
                return
            await self.reject_in(uow, order, code, reason)
            if error:
                await self._user_controls.count_error_in(uow, order.user_id)

    async def reject_in(self, uow: UnitOfWork, order: QueuedOrder, code: str, reason: str) -> None:
        await self._orders.mark_rejected(uow.conn, order.order_id, code)
        uow.publish(rejected_event(order, code, reason))

    async def record(self, order: QueuedOrder, placed: VenueOrder) -> bool:
        """Record the venue's word on the order; whether it brought fills not recorded before
        (the account's balances moved)."""
        async with self._runtime.unit_of_work("execution") as uow:
            position = position_id(order.user_id, order.venue, order.symbol)
            recorded = await self._orders.record_placement(
                uow.conn,
                order_id=order.order_id,
                user_id=order.user_id,
                venue=placed.venue,
                venue_order_id=placed.venue_order_id,
                status=order_status(placed, placed.filled),
                fills=placed.fills,
                average_price=average_price(placed.fills),
                position_id=position,
            )
            if recorded.before is None or recorded.ended:
                return False
            for event in placement_events(order, placed, recorded.before, recorded.fill_ids):
                uow.publish(event)
            fresh = [fill for fill in placed.fills if fill.trade_id in recorded.fill_ids]
            if recorded.position is not None:
                await self._fold_position(uow, order, position, recorded.position, fresh)
        return bool(fresh)

    async def _fold_position(
        self,
        uow: UnitOfWork,
        order: QueuedOrder,
        position: str,
        state: PositionState,
        fills: list[VenueFill],
    ) -> None:
        """Fold the order's new fills into the user's position (`state`, as locked), an event
        each."""
        for fill in fills:
            before = state
            fee = _fee_in_quote(order, fill)
            state = apply_fill(before, order.side, fill.price, fill.quantity, fee)
            uow.publish(position_changed(order, position, fill.trade_id, before, state))
        row = PositionRow(
            position_id=position,
            user_id=order.user_id,
            venue=order.venue,
            symbol=order.symbol,
            state=state,
        )
        outbox = uow.pending_outbox()
        uow.wrote_outbox(outbox, await self._positions.save(uow.conn, row, outbox))


def _fee_in_quote(order: QueuedOrder, fill: VenueFill) -> Decimal:
    fee = fee_in_quote(order.symbol, fill.fee, fill.fee_currency, fill.price)
    if fee is None:
        # A fee in the exchange's own token (e.g. BNB): the fill cannot price it, so it stays
        # on the fill (GET /v1/orders/{id}) and out of the position's P&L.
        log.warning(
            "fee of %s %s on %s fill %s left out of the position's P&L",
            fill.fee,
            fill.fee_currency,
            order.symbol,
            fill.trade_id,
        )
        return Decimal(0)
    return fee

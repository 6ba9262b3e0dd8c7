"""What happens to an order once the venue (or our own checks) has answered: recorded once.

A rejection, an ambiguous mark, a placement with its fills, and the position each new fill
folds into are written in one transaction with the events that report them. Exchange errors
on an account are counted here too: after `MAX_CONSECUTIVE_ERRORS` in a row the user's
trading is paused until an admin resumes it.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from modules.execution.adapters.order_events import (
    EVENT_NAMESPACE,
    PRICE_STEP,
    event_id,
    order_status,
    placement_events,
)
from modules.execution.adapters.positions import apply_fill
from modules.execution.adapters.venue import VenueOrder
from modules.execution.contracts import (
    OrderRejected,
    PositionChanged,
    UserTradingPaused,
    UserTradingResumed,
)
from modules.execution.repository import ExecutionRepository, PositionRow, QueuedOrder
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.execution")
MAX_CONSECUTIVE_ERRORS = 5
TERMINAL = frozenset({"filled", "expired", "rejected"})


def rejected_event(order: QueuedOrder, code: str, reason: str) -> OrderRejected:
    return OrderRejected(
        event_id=event_id(order.order_id, "rejected"),
        order_id=order.order_id,
        user_id=order.user_id,
        venue=order.venue,
        code=code,
        reason=reason,
    )


def is_error(code: str) -> bool:
    """Refusals that count towards auto-disable: the account, not the order, is the problem."""
    return code in ("authentication_failed", "permission_denied")


class OrderOutcomes:
    def __init__(self, runtime: Runtime, repository: ExecutionRepository) -> None:
        self._runtime = runtime
        self._repo = repository

    async def mark_ambiguous(self, order: QueuedOrder) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            await self._repo.set_status(uow.conn, order.order_id, "ambiguous")
            await self._count_error(uow, order.user_id)

    async def reject(self, order: QueuedOrder, code: str, reason: str, error: bool = False) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in TERMINAL:
                return
            await self.reject_in(uow, order, code, reason)
            if error:
                await self._count_error(uow, order.user_id)

    async def reject_in(self, uow: UnitOfWork, order: QueuedOrder, code: str, reason: str) -> None:
        await self._repo.mark_rejected(uow.conn, order.order_id, code)
        uow.publish(rejected_event(order, code, reason))

    async def _count_error(self, uow: UnitOfWork, user_id: str) -> None:
        if await self._repo.count_error(uow.conn, user_id) >= MAX_CONSECUTIVE_ERRORS:
            await self.pause_in(uow, user_id, "consecutive_errors")

    async def pause_in(self, uow: UnitOfWork, user_id: str, reason: str) -> None:
        if await self._repo.pause(uow.conn, user_id, reason):
            log.warning("trading paused", extra={"user_id": user_id, "reason": reason})
            uow.publish(UserTradingPaused(user_id=user_id, reason=reason))

    async def resume_user(self, user_id: str) -> bool:
        async with self._runtime.unit_of_work("execution") as uow:
            resumed = await self._repo.resume(uow.conn, user_id)
            if resumed:
                uow.publish(UserTradingResumed(user_id=user_id))
        return resumed

    async def record(self, order: QueuedOrder, placed: VenueOrder) -> None:
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in ("filled", "expired"):
                return
            filled = placed.filled
            average = (
                (sum((f.price * f.quantity for f in placed.fills), Decimal(0)) / filled).quantize(
                    PRICE_STEP
                )
                if filled
                else None
            )
            new_fills = await self._repo.record_placement(
                uow.conn,
                order_id=order.order_id,
                venue=placed.venue,
                venue_order_id=placed.venue_order_id,
                status=order_status(placed, filled),
                fills=placed.fills,
                average_price=average,
            )
            for event in placement_events(order, placed, locked.status, new_fills):
                uow.publish(event)
            for fill in placed.fills:
                if fill.trade_id in new_fills:
                    await self._fold_position(
                        uow, order, fill.trade_id, fill.price, fill.quantity, fill.fee
                    )
            await self._repo.clear_errors(uow.conn, order.user_id)

    async def _fold_position(
        self,
        uow: UnitOfWork,
        order: QueuedOrder,
        fill_id: str,
        price: Decimal,
        quantity: Decimal,
        fee: Decimal,
    ) -> None:
        position_id = str(
            uuid.uuid5(EVENT_NAMESPACE, f"position:{order.user_id}:{order.venue}:{order.symbol}")
        )
        state = apply_fill(
            await self._repo.lock_position(uow.conn, position_id), order.side, price, quantity, fee
        )
        row = PositionRow(
            position_id=position_id,
            user_id=order.user_id,
            venue=order.venue,
            symbol=order.symbol,
            state=state,
        )
        await self._repo.save_position(uow.conn, row)
        uow.publish(
            PositionChanged(
                event_id=event_id(position_id, "fill", fill_id),
                position_id=position_id,
                user_id=order.user_id,
                venue=order.venue,
                symbol=order.symbol,
                quantity=state.quantity,
                average_entry=state.average_entry,
                realised_pnl=state.realised_pnl,
                fees=state.fees,
                fill_id=fill_id,
                status="open" if state.quantity != 0 else "closed",
            )
        )

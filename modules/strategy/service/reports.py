"""Following the bot's own orders: what filled (entry price and quantity, what exits sold), what
ended without filling, what routing refused, and execution's word on the user's positions.

Only orders whose id is one of the bot's intents are the bot's; every other report is ignored
after one indexed lookup.
"""

from __future__ import annotations

import uuid
from typing import Any

from modules.execution.contracts import OrderExpired, OrderFilled, OrderRejected, PositionChanged
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import IntentRefused
from modules.strategy.config import StrategyConfig
from modules.strategy.domain.bot import VENUE_REFUSALS
from modules.strategy.domain.protection import after_entry_fill
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.intents import IntentRepository
from modules.strategy.repository.positions import PositionRepository
from modules.strategy.repository.venue_positions import VenuePositionRepository
from modules.strategy.service.status import BotStatus


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class Reports:
    def __init__(
        self,
        runtime: Runtime,
        config: StrategyConfig,
        *,
        bots: BotRepository,
        intents: IntentRepository,
        positions: PositionRepository,
        venue_positions: VenuePositionRepository,
        status: BotStatus,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._bots = bots
        self._intents = intents
        self._positions = positions
        self._venue_positions = venue_positions
        self._status = status

    async def _intent(self, uow: UnitOfWork, order_id: str) -> dict[str, Any] | None:
        intent_id = _uuid(order_id)
        return None if intent_id is None else await self._intents.intent(uow.conn, intent_id)

    async def order_filled(self, event: OrderFilled, uow: UnitOfWork) -> None:
        intent = await self._intent(uow, event.order_id)
        if intent is None:
            return
        conn, now = uow.conn, self._runtime.clock()
        complete = event.status == "filled"
        await self._intents.filled(
            conn, intent["intent_id"], event.filled_quantity, event.average_price, complete, now
        )
        await self._bots.reset_rejections(conn, intent["user_id"])
        position = await self._positions.position(conn, intent["position_id"])
        if intent["kind"] == "entry":
            targets = after_entry_fill(
                position["stop"], position["planned_risk"], event.average_price
            )
            await self._positions.entry_filled(
                conn, position["id"], event.filled_quantity, event.average_price, targets
            )
            return
        exited = await self._intents.exited(conn, position["id"])
        await self._positions.set_exited(conn, position["id"], exited)
        if complete:
            await self._positions.clear_exit(conn, position["id"], intent["intent_id"])
        if exited >= position["quantity"]:
            await self._positions.close(conn, position["id"], "closed", intent["kind"], now)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        intent = await self._intent(uow, event.order_id)
        if intent is None:
            return
        await self._ended(uow, intent, "rejected", event.code, event.reason)
        await self._count_rejection(uow, intent["user_id"])

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        intent = await self._intent(uow, event.order_id)
        if intent is not None:
            await self._ended(uow, intent, "expired", None, event.reason)

    async def intent_refused(self, event: IntentRefused, uow: UnitOfWork) -> None:
        intent = await self._intent(uow, event.intent_id)
        if intent is None:
            return
        await self._ended(uow, intent, "refused", event.code, event.reason)
        if event.code in VENUE_REFUSALS:
            await self._count_rejection(uow, intent["user_id"])

    async def position_changed(self, event: PositionChanged, uow: UnitOfWork) -> None:
        """A position execution reports empty closes the bot's position there, whoever sold it;
        an older report than one already seen is ignored."""
        newer = await self._venue_positions.newer(
            uow.conn, event.user_id, event.venue, event.symbol, event.version, event.quantity
        )
        if newer and event.quantity <= 0:
            await self._positions.close_outside(
                uow.conn, event.user_id, event.venue, event.symbol, self._runtime.clock()
            )

    async def _ended(
        self, uow: UnitOfWork, intent: dict[str, Any], status: str, code: str | None, reason: str
    ) -> None:
        conn, now = uow.conn, self._runtime.clock()
        await self._intents.ended(conn, intent["intent_id"], status, code, reason, now)
        if intent["kind"] != "entry":
            await self._positions.clear_exit(conn, intent["position_id"], intent["intent_id"])
        elif intent["filled_quantity"] <= 0:
            await self._positions.close(
                conn, intent["position_id"], "failed", f"entry_{status}", now
            )

    async def _count_rejection(self, uow: UnitOfWork, user_id: str) -> None:
        count = await self._bots.count_rejection(uow.conn, user_id)
        if count >= self._config.max_consecutive_rejections:
            reason = f"{count} venue rejections in a row"
            await self._status.pause_running(uow, user_id, reason)

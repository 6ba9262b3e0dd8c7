"""Following the bot's own orders: which orders carry its intents, what they filled (entry price
and quantity, what exits sold and where), what ended without filling, what routing refused, and
execution's word on the user's positions.

An intent travels under its own id, and under others when routing re-routes it after a venue
fault (an attempt id) or splits it (children, also TWAP slices): `OrderRouted` names the intent
as the order's original or parent, and the bot maps each such order to it. An intent's figures
are its orders' together; it is in flight while one of them is. An order that ended the intent
(a rejection, say) can be followed by another one routing sends on: the intent (and its
position) is then in flight again. A report for an order the bot does not know yet, while its
user has an intent in flight, is parked until that order's `OrderRouted` says whose it is; any
other report is ignored after one indexed lookup.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from modules.execution.contracts import OrderExpired, OrderFilled, OrderRejected, PositionChanged
from modules.kernel.events import decode_event
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import IntentRefused, OrderRouted
from modules.strategy.config import StrategyConfig
from modules.strategy.domain.bar_step import CLOSE_REASONS
from modules.strategy.domain.bot import VENUE_REFUSALS
from modules.strategy.domain.protection import after_entry_fill
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.holds import HoldRepository
from modules.strategy.repository.intent_orders import PARKED_FOR, IntentOrderRepository, Routed
from modules.strategy.repository.intents import FINAL, IntentRepository
from modules.strategy.repository.positions import PositionRepository
from modules.strategy.repository.venue_positions import Held, VenuePositionRepository
from modules.strategy.service.publishing import position_changed
from modules.strategy.service.status import BotStatus

Report = OrderFilled | OrderRejected | OrderExpired
Ending = tuple[str, str | None, str | None]  # status, code, reason


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return None if value is None else uuid.UUID(value)
    except ValueError:
        return None


def _routed(event: OrderRouted) -> Routed | None:
    order_id = _uuid(event.order_id)
    root = _uuid(event.parent_order_id or event.original_order_id or event.order_id)
    if order_id is None or root is None:
        return None
    return Routed(order_id=order_id, root=root, venue=event.venue, attempt=event.attempt)


def position_key(event: PositionChanged) -> str:
    """The row a position report locks: its user's holding at the venue."""
    return f"{event.user_id}:{event.venue}:{event.symbol}"


class Reports:
    def __init__(
        self,
        runtime: Runtime,
        config: StrategyConfig,
        *,
        bots: BotRepository,
        intents: IntentRepository,
        orders: IntentOrderRepository,
        positions: PositionRepository,
        venue_positions: VenuePositionRepository,
        holds: HoldRepository,
        status: BotStatus,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._bots = bots
        self._intents = intents
        self._orders = orders
        self._positions = positions
        self._venue_positions = venue_positions
        self._holds = holds
        self._status = status

    async def orders_routed(self, events: list[OrderRouted], uow: UnitOfWork) -> None:
        """Map the batch's orders that carry a bot's intent (one statement for the batch)."""
        routed = [r for r in map(_routed, events) if r is not None]
        for order_id, intent_id in await self._orders.map_routed(uow.conn, routed):
            await self._in_flight_again(uow, intent_id)
            for topic, payload in await self._orders.unpark(uow.conn, order_id):
                await self._replay(uow, decode_event(topic, payload))

    async def _replay(self, uow: UnitOfWork, event: Any) -> None:
        if isinstance(event, OrderFilled):
            await self.order_filled(event, uow)
        elif isinstance(event, OrderRejected):
            await self.order_rejected(event, uow)
        elif isinstance(event, OrderExpired):
            await self.order_expired(event, uow)

    async def _in_flight_again(self, uow: UnitOfWork, intent_id: uuid.UUID) -> None:
        """A new order of an intent that had ended: routing sent it on."""
        intent = await self._intents.intent(uow.conn, intent_id)
        if intent is None or intent["status"] not in ("filled", "rejected", "expired"):
            return
        totals = await self._orders.totals(uow.conn, intent_id)
        await self._intents.settle(
            uow.conn,
            intent_id,
            status="partially_filled" if totals.filled > 0 else "submitted",
            filled=totals.filled,
            average_price=totals.average_price,
            code=None,
            reason=None,
            at=self._runtime.clock(),
        )
        if intent["kind"] == "entry":
            await self._positions.revive(uow.conn, intent["position_id"])
        else:
            await self._positions.exit_again(uow.conn, intent["position_id"], intent_id)

    async def _find(
        self, uow: UnitOfWork, event: Report
    ) -> tuple[uuid.UUID, dict[str, Any]] | None:
        """The order's id and the intent it carries, locked; None when it carries none (yet)."""
        order_id = _uuid(event.order_id)
        if order_id is None:
            return None
        conn = uow.conn
        intent_id = await self._orders.intent_of(conn, order_id)
        if intent_id is not None:
            intent = await self._intents.intent(conn, intent_id)
            return None if intent is None else (order_id, intent)
        intent = await self._intents.intent(conn, order_id)
        if intent is not None:
            await self._orders.first_attempt(conn, order_id, event.venue)
            return order_id, intent
        now = self._runtime.clock()
        if await self._intents.lately_active(conn, event.user_id, now - PARKED_FOR):
            payload = msgspec.json.encode(event)
            await self._orders.park(conn, order_id, event.TOPIC, payload, now)
        return None

    async def order_filled(self, event: OrderFilled, uow: UnitOfWork) -> None:
        found = await self._find(uow, event)
        if found is None:
            return
        order_id, intent = found
        complete = event.status == "filled"
        await self._orders.filled(
            uow.conn, order_id, event.filled_quantity, event.average_price, complete
        )
        await self._bots.reset_rejections(uow.conn, intent["user_id"])
        await self._settle(uow, intent, ("filled", None, None) if complete else None)

    async def order_rejected(self, event: OrderRejected, uow: UnitOfWork) -> None:
        found = await self._find(uow, event)
        if found is None:
            return
        order_id, intent = found
        if await self._orders.ended(uow.conn, order_id, "rejected", event.code, event.reason):
            await self._settle(uow, intent, ("rejected", event.code, event.reason))
            await self._count_rejection(uow, intent["user_id"])

    async def order_expired(self, event: OrderExpired, uow: UnitOfWork) -> None:
        found = await self._find(uow, event)
        if found is None:
            return
        order_id, intent = found
        if await self._orders.ended(uow.conn, order_id, "expired", None, event.reason):
            await self._settle(uow, intent, ("expired", None, event.reason))

    async def _settle(self, uow: UnitOfWork, intent: dict[str, Any], ending: Ending | None) -> None:
        """The intent as its orders now stand, and what that does to its position."""
        conn, now, intent_id = uow.conn, self._runtime.clock(), intent["intent_id"]
        totals = await self._orders.totals(conn, intent_id)
        live = totals.live > 0
        if live:
            status, code, reason = "partially_filled" if totals.filled else "submitted", None, None
        elif ending is not None:
            status, code, reason = ending
        else:  # a late fill of an order already ended: the intent's end stands
            final = intent["status"] in FINAL
            status = intent["status"] if final else ("filled" if totals.filled else "expired")
            code = reason = None
        await self._intents.settle(
            conn,
            intent_id,
            status=status,
            filled=totals.filled,
            average_price=totals.average_price,
            code=code,
            reason=reason,
            at=now,
        )
        position = await self._positions.position(conn, intent["position_id"])
        if position is None:
            return
        exited = await self._intents.exited(conn, position["id"])
        await self._positions.set_fills(conn, position["id"], exited)
        if intent["kind"] == "entry":
            await self._entry_moved(uow, position, totals.filled, totals.average_price, live)
            if not live and not totals.filled:
                await self._positions.fail(conn, position["id"], f"entry_{status}", now)
            return
        if not live:
            await self._positions.clear_exit(conn, position["id"])
        if position["quantity"] > 0 and exited >= position["quantity"]:
            row = await self._positions.close(
                conn, position["id"], CLOSE_REASONS[intent["kind"]], now
            )
            if row is not None:
                uow.publish(position_changed(row, now))

    async def _entry_moved(
        self,
        uow: UnitOfWork,
        position: dict[str, Any],
        filled: Any,
        price: Any,
        live: bool,
    ) -> None:
        """The entry's fills open the position (or grow it): what it bought at what price, its
        targets measured from that price until one is hit."""
        if not filled or price is None:
            return
        if position["status"] == "failed":  # a fill outlived the entry's end: it holds that
            await self._positions.revive(uow.conn, position["id"])
        targets = None
        if position["targets_hit"] == 0:
            targets = after_entry_fill(position["stop"], position["planned_risk"], price)
        row = await self._positions.entry_filled(uow.conn, position["id"], filled, price, targets)
        if row is not None:
            uow.publish(position_changed(row, self._runtime.clock()))

    async def intent_refused(self, event: IntentRefused, uow: UnitOfWork) -> None:
        intent_id = _uuid(event.intent_id)
        intent = None if intent_id is None else await self._intents.intent(uow.conn, intent_id)
        if intent is None:
            return
        conn, now = uow.conn, self._runtime.clock()
        await self._intents.refused(conn, intent["intent_id"], event.code, event.reason, now)
        if intent["kind"] == "entry":
            await self._positions.fail(conn, intent["position_id"], "entry_refused", now)
        else:
            await self._positions.clear_exit(conn, intent["position_id"])
        if event.code in VENUE_REFUSALS:
            await self._count_rejection(uow, intent["user_id"])

    async def positions_changed(self, events: list[PositionChanged], uow: UnitOfWork) -> None:
        """A batch of position reports: when none of them empties a position (so none can close
        a bot's position), only the newest version of each is kept, in one statement; else
        each is taken in turn, in key order, as `position_changed`."""
        if any(event.quantity <= 0 for event in events):
            for event in sorted(events, key=position_key):
                await self.position_changed(event, uow)
            return
        seen = [
            Held(
                user_id=e.user_id,
                venue=e.venue,
                symbol=e.symbol,
                version=e.version,
                quantity=e.quantity,
            )
            for e in events
        ]
        await self._venue_positions.record_newest(uow.conn, seen)

    async def position_changed(self, event: PositionChanged, uow: UnitOfWork) -> None:
        """A position execution reports empty closes the bot's position held there, whoever
        sold it; an older report than one already seen is ignored."""
        newer = await self._venue_positions.newer(
            uow.conn, event.user_id, event.venue, event.symbol, event.version, event.quantity
        )
        if not newer or event.quantity > 0:
            return
        halted = "kill_switch" in await self._holds.holds_on(uow.conn, event.user_id)
        now = self._runtime.clock()
        for row in await self._positions.close_outside(
            uow.conn,
            event.user_id,
            event.venue,
            event.symbol,
            "kill_switch" if halted else "manual",
            now,
        ):
            uow.publish(position_changed(row, now))

    async def _count_rejection(self, uow: UnitOfWork, user_id: str) -> None:
        count = await self._bots.count_rejection(uow.conn, user_id)
        if count >= self._config.max_consecutive_rejections:
            reason = f"{count} venue rejections in a row"
            await self._status.pause_running(uow, user_id, reason)

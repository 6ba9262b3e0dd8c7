"""TWAP: an order above the notional threshold goes out as equal slices over time.

The parent order is committed with its plan; a background task sends each slice when it falls
due, as a child order routed on its own decision at that moment. Plans live in the database, so
a restart resumes them, and each round locks the due plans so another replica skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from decimal import ROUND_DOWN
from typing import Any

from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.adapters.config import RoutingConfig
from modules.routing.adapters.handoff import Handoff
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.order_queries import NewOrder
from modules.routing.adapters.planner import Planner
from modules.routing.adapters.venue_scoring import AMOUNT_STEP, Intent, explain
from modules.routing.repository import RoutingRepository

log = logging.getLogger("nija.routing")


class TwapScheduler:
    def __init__(
        self,
        runtime: Runtime,
        books: MarketBooks,
        repository: RoutingRepository,
        config: RoutingConfig,
        planner: Planner,
        handoff: Handoff,
    ) -> None:
        self._runtime = runtime
        self._books = books
        self._repo = repository
        self._config = config
        self._planner = planner
        self._handoff = handoff
        self._scheduler: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    async def schedule(self, uow: UnitOfWork, order: NewOrder) -> None:
        """Store the plan of a TWAP parent, in the transaction that inserts the parent."""
        slices = self._config.twap_slices
        size = (order.intent.quantity / slices).quantize(AMOUNT_STEP, rounding=ROUND_DOWN)
        await self._repo.twap.insert_twap(
            uow.conn,
            order.id,
            order.user_id,
            slices,
            size,
            order.intent.quantity,
            self._config.twap_interval_seconds,
            order.created_at,
        )

    def wake(self) -> None:
        """A plan was committed: look for due slices now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._scheduler = asyncio.create_task(self._run_scheduler(), name="routing-twap")

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler

    async def _run_scheduler(self) -> None:
        while True:
            try:
                await self.send_due_slices()
            except Exception:
                log.exception("TWAP scheduler round failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.twap_poll_seconds)

    async def send_due_slices(self) -> int:
        """Send every due TWAP slice; plans live in the database so a restart resumes them."""
        sent = 0
        async with self._runtime.unit_of_work("routing") as uow:
            now = self._runtime.clock()
            for plan in await self._repo.twap.due_twap(uow.conn, now):
                sent += await self._send_slice(uow, plan, now)
        return sent

    async def _send_slice(self, uow: UnitOfWork, plan: dict[str, Any], now: datetime) -> int:
        index = plan["slices_sent"]
        intent, last = _next_slice(plan)
        next_at = now + timedelta(seconds=plan["interval_seconds"])
        halted = await self._halted(uow, plan["user_id"])
        if halted is not None:
            await self._repo.twap.advance_twap(
                uow.conn, plan["parent_order_id"], index, "cancelled", now, halted
            )
            return 0
        credentials = await self._repo.credentials_in(uow.conn, plan["user_id"])
        decision = self._planner.decide(intent, self._books.for_symbol(intent.symbol), credentials)
        if decision.chosen is None:
            error = "no eligible venue: " + explain(decision)
            await self._repo.twap.advance_twap(
                uow.conn, plan["parent_order_id"], index, "active", next_at, error[:500]
            )
            return 0
        parent = NewOrder(
            id=plan["parent_order_id"],
            user_id=plan["user_id"],
            client_order_id="",
            intent=intent,
            venue="twap",
            credential_id="",
            created_at=now,
            source=plan["source"],
            signal=plan["signal"],
            priority=plan["priority"],
            kind="twap",
        )
        await self._handoff.insert_child(uow, parent, intent, decision, credentials)
        await self._repo.twap.advance_twap(
            uow.conn,
            plan["parent_order_id"],
            index + 1,
            "done" if last else "active",
            next_at,
            None,
        )
        return 1

    async def _halted(self, uow: UnitOfWork, user_id: str) -> str | None:
        for scope in ("global", user_id):
            switch = await self._repo.risk.kill_switch(uow.conn, scope)
            if switch is not None and switch["active"]:
                return "kill_switch_active"
        if await self._repo.risk.is_suspended(uow.conn, user_id):
            return "user_suspended"
        return None


def _next_slice(plan: dict[str, Any]) -> tuple[Intent, bool]:
    """The plan's next slice, and whether it is the last: that one takes the rounding remainder."""
    index = plan["slices_sent"]
    total = plan["slices_total"]
    last = index + 1 >= total
    size = plan["slice_quantity"]
    quantity = plan["quantity_total"] - size * (total - 1) if last else size
    intent = Intent(
        symbol=plan["symbol"],
        side=plan["side"],
        order_type=plan["order_type"],
        quantity=quantity,
        limit_price=plan["limit_price"],
    )
    return intent, last

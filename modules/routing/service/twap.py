"""TWAP: an order above the notional threshold goes out as equal slices over time.

The parent order is committed with its plan (`schedule`); each slice is sent when it falls due
(`send_due_slices`, run by workers/twap.py), as a child order routed on its own decision at that
moment. Plans live in the database, so a restart resumes them, and each round locks the due
plans so another replica skips them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.routing.config import RoutingConfig
from modules.routing.domain.market_books import MarketBooks
from modules.routing.domain.twap import slice_quantity, slice_size
from modules.routing.domain.venue_scoring import Intent, explain
from modules.routing.repository.credentials import CredentialRepository
from modules.routing.repository.orders import NewOrder
from modules.routing.repository.risk import RiskRepository
from modules.routing.repository.twap import TwapRepository
from modules.routing.service.handoff import Handoff
from modules.routing.service.planner import Planner


class TwapScheduler:
    def __init__(
        self,
        runtime: Runtime,
        books: MarketBooks,
        config: RoutingConfig,
        *,
        plans: TwapRepository,
        credentials: CredentialRepository,
        risk: RiskRepository,
        planner: Planner,
        handoff: Handoff,
    ) -> None:
        self._runtime = runtime
        self._books = books
        self._config = config
        self._plans = plans
        self._credentials = credentials
        self._risk = risk
        self._planner = planner
        self._handoff = handoff

    async def schedule(self, uow: UnitOfWork, order: NewOrder) -> None:
        """Store the plan of a TWAP parent, in the transaction that inserts the parent."""
        slices = self._config.twap_slices
        await self._plans.insert_twap(
            uow.conn,
            order.id,
            order.user_id,
            slices,
            slice_size(order.intent.quantity, slices),
            order.intent.quantity,
            self._config.twap_interval_seconds,
            order.created_at,
        )

    async def send_due_slices(self) -> int:
        """Send every due TWAP slice; plans live in the database so a restart resumes them."""
        sent = 0
        async with self._runtime.unit_of_work("routing") as uow:
            now = self._runtime.clock()
            for plan in await self._plans.due_twap(uow.conn, now):
                sent += await self._send_slice(uow, plan, now)
        return sent

    async def _send_slice(self, uow: UnitOfWork, plan: dict[str, Any], now: datetime) -> int:
        index = plan["slices_sent"]
        intent, last = _next_slice(plan)
        next_at = now + timedelta(seconds=plan["interval_seconds"])
        halted = await self._halted(uow, plan["user_id"])
        if halted is not None:
            await self._plans.advance_twap(
                uow.conn, plan["parent_order_id"], index, "cancelled", now, halted
            )
            return 0
        credentials = await self._credentials.credentials_in(uow.conn, plan["user_id"])
        decision = self._planner.decide(intent, self._books.for_symbol(intent.symbol), credentials)
        if decision.chosen is None:
            error = "no eligible venue: " + explain(decision)
            await self._plans.advance_twap(
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
        await self._plans.advance_twap(
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
            switch = await self._risk.kill_switch(uow.conn, scope)
            if switch is not None and switch["active"]:
                return "kill_switch_active"
        if await self._risk.is_suspended(uow.conn, user_id):
            return "user_suspended"
        return None


def _next_slice(plan: dict[str, Any]) -> tuple[Intent, bool]:
    """The plan's next slice, and whether it is the last."""
    quantity, last = slice_quantity(
        plan["slices_sent"],
        slices=plan["slices_total"],
        size=plan["slice_quantity"],
        total=plan["quantity_total"],
    )
    intent = Intent(
        symbol=plan["symbol"],
        side=plan["side"],
        order_type=plan["order_type"],
        quantity=quantity,
        limit_price=plan["limit_price"],
    )
    return intent, last

"""Routing's read side and controls, `RoutingDesk`; re-exported from service.py, where the rest
of the module imports it.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.routing.adapters import risk, views
from modules.routing.adapters.config import RoutingConfig
from modules.routing.contracts import KillSwitchChanged
from modules.routing.repository import RoutingRepository
from modules.routing.schemas import (
    AdminRouting,
    KillSwitchView,
    OrderDetail,
    OrderPage,
    OrderRoute,
    PositionView,
    TradingSettingsPatch,
    TradingSettingsView,
    VenueStatsView,
)

if TYPE_CHECKING:
    # service.py imports this module to re-export the desk: a runtime import would be circular.
    from modules.routing.service import RoutingService


class RoutingDesk:
    """Read side and controls: orders and their routes, positions, trading settings, kill
    switches and the admin's routing overview."""

    def __init__(
        self, runtime: Runtime, repository: RoutingRepository, service: RoutingService
    ) -> None:
        self._runtime = runtime
        self._repo = repository
        self._service = service

    @property
    def _config(self) -> RoutingConfig:
        return self._service.config

    # -- orders --------------------------------------------------------------------------------
    async def list_orders(self, principal: Principal, limit: int, offset: int) -> OrderPage:
        rows = await self._repo.orders.list_orders(principal.user_id, limit, offset)
        return OrderPage(items=[views.summary(row) for row in rows], limit=limit, offset=offset)

    async def _own(self, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
        row = await self._repo.orders.order(principal.user_id, order_id)
        if row is None:
            # Someone else's order is indistinguishable from a missing one.
            raise ProblemError(404, "order_not_found", "No such order")
        return row

    async def get_order(self, principal: Principal, order_id: uuid.UUID) -> OrderDetail:
        row = await self._own(principal, order_id)
        fills = await self._repo.orders.fills(order_id)
        decisions = await self._repo.orders.decisions(order_id)
        attempts = await self._repo.orders.attempts(order_id)
        children = await self._repo.orders.children(order_id)
        return OrderDetail(
            **msgspec.structs.asdict(views.summary(row)),
            fills=[views.fill(f) for f in fills],
            route=views.route(decisions[-1]) if decisions else None,
            attempts=[views.attempt(a) for a in attempts],
            children=[views.child(c) for c in children],
        )

    async def get_route(self, principal: Principal, order_id: uuid.UUID) -> OrderRoute:
        row = await self._own(principal, order_id)
        decisions = [views.route(d) for d in await self._repo.orders.decisions(order_id)]
        latest = decisions[-1] if decisions else None
        return OrderRoute(
            order_id=str(order_id),
            kind=row["kind"],
            venue=row["venue"],
            winner=latest.chosen if latest else row["venue"],
            why=latest.why if latest else None,
            decisions=decisions,
            attempts=[views.attempt(a) for a in await self._repo.orders.attempts(order_id)],
            children=[views.child(c) for c in await self._repo.orders.children(order_id)],
        )

    # -- positions -----------------------------------------------------------------------------
    async def positions(self, principal: Principal) -> list[PositionView]:
        return [views.position(p) for p in await self._repo.positions.positions(principal.user_id)]

    # -- trading settings ----------------------------------------------------------------------
    async def trading_settings(self, principal: Principal) -> TradingSettingsView:
        stored = await self._repo.risk.trading_settings(principal.user_id)
        async with self._runtime.db.connection() as conn:
            status = await self._repo.risk.status(conn, principal.user_id)
            switch = await self._repo.risk.active_kill_switch(conn, principal.user_id)
        snapshot = risk.build_snapshot(
            self._config,
            settings=stored,
            status=status,
            fallback_tier=principal.tier,
            kill_switch=switch,
            position_quantity=Decimal(0),
            open_positions=0,
            trades_today=0,
            realized_today=Decimal(0),
        )
        return views.trading_settings(snapshot, stored)

    async def update_trading_settings(
        self, principal: Principal, patch: TradingSettingsPatch
    ) -> TradingSettingsView:
        values = dict(await self._repo.risk.trading_settings(principal.user_id) or {})
        for field in msgspec.structs.fields(TradingSettingsPatch):
            value = getattr(patch, field.name)
            if value is not msgspec.UNSET:
                values[field.name] = value
        if values.get("allowed_pairs") is not None:
            values["allowed_pairs"] = sorted({p.upper() for p in values["allowed_pairs"]})
        await self._repo.risk.save_trading_settings(principal.user_id, values)
        return await self.trading_settings(principal)

    # -- kill switches -------------------------------------------------------------------------
    async def set_kill_switch(
        self, scope: str, user_id: str | None, active: bool, set_by: str, reason: str | None
    ) -> KillSwitchView:
        key = "global" if scope == "global" else str(user_id)
        async with self._runtime.unit_of_work("routing") as uow:
            current = await self._repo.risk.kill_switch(uow.conn, key)
            if (
                set_by == "user"
                and not active
                and current is not None
                and current["active"]
                and current["set_by"] == "admin"
            ):
                raise ProblemError(
                    403,
                    "kill_switch_admin_only",
                    "An admin halted your trading; only an admin can resume it",
                )
            await self._repo.risk.set_kill_switch(uow.conn, key, active, set_by, reason)
            uow.publish(
                KillSwitchChanged(
                    scope=scope,  # type: ignore[arg-type]
                    user_id=user_id,
                    active=active,
                    set_by=set_by,  # type: ignore[arg-type]
                )
            )
        return KillSwitchView(scope=scope, user_id=user_id, active=active, set_by=set_by)

    # -- admin ---------------------------------------------------------------------------------
    async def admin_routing(self, limit: int) -> AdminRouting:
        decisions = await self._repo.orders.recent_decisions(limit)
        since = self._runtime.clock() - timedelta(hours=24)
        counts = {c["venue"]: c for c in await self._repo.orders.venue_counts(since)}
        monitor = self._service.monitor
        queue = monitor.queue_depths(time.monotonic())
        rates: dict[str, dict[str, float | None]] = {}
        for figures in monitor.figures():
            rates.setdefault(figures.venue, {})[figures.symbol] = figures.success_rate
        breakers = monitor.breakers(time.monotonic())
        venues = sorted(set(counts) | set(queue) | set(rates) | set(breakers))
        async with self._runtime.db.connection() as conn:
            switch = await self._repo.risk.active_kill_switch(conn, "")
        return AdminRouting(
            decisions=[views.decision_summary(d) for d in decisions],
            venues=[
                VenueStatsView(
                    venue=venue,
                    routed_24h=int(counts.get(venue, {}).get("routed", 0)),
                    failed_24h=int(counts.get(venue, {}).get("failed", 0)),
                    in_flight=queue.get(venue, 0),
                    breaker_state=breakers.get(venue),
                    success_rate_by_pair=rates.get(venue, {}),
                )
                for venue in venues
            ],
            global_kill_switch=switch == "global",
        )

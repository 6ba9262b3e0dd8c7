"""Execution's HTTP surface: venues, the caller's positions, and the admin controls."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from modules.execution.schemas import (
    PositionView,
    TradingControlView,
    VenueFaultsBody,
    VenueFaultsView,
    VenueHealthView,
    VenueView,
)
from modules.execution.service.user_controls import UserControls
from modules.execution.service.venue_admin import VenueAdmin
from modules.execution.views import ExecutionViews
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath
from modules.kernel.errors import ProblemError


class VenuesController(Controller):
    path = "/v1/venues"
    tags = ["venues"]

    @get("/", summary="Venues, their symbols, fee rates and latency", sync_to_thread=False)
    def list_venues(
        self,
        principal: NamedDependency[Principal],
        execution_views: NamedDependency[ExecutionViews],
    ) -> list[VenueView]:
        return execution_views.venues()


class PositionsController(Controller):
    path = "/v1/positions"
    tags = ["positions"]

    @get("/", summary="The caller's positions with realised and unrealised P&L")
    async def list_positions(
        self,
        principal: NamedDependency[Principal],
        execution_views: NamedDependency[ExecutionViews],
    ) -> list[PositionView]:
        return await execution_views.positions(principal.user_id)

    @get("/{position_id:str}", summary="One of the caller's positions (the id close takes)")
    async def get_position(
        self,
        position_id: IdPath,
        principal: NamedDependency[Principal],
        execution_views: NamedDependency[ExecutionViews],
    ) -> PositionView:
        return await execution_views.position(principal.user_id, position_id)


class ExecutionAdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]

    @get("/venues", summary="Per venue: breaker, queue depth, latency p50/p99, success rate")
    async def venues(
        self,
        admin: NamedDependency[Principal],
        execution_venue_admin: NamedDependency[VenueAdmin],
    ) -> list[VenueHealthView]:
        return await execution_venue_admin.venue_health()

    @post("/venues/{venue:str}/breaker/reset", status_code=200, summary="Close a breaker")
    async def reset_breaker(
        self,
        venue: IdPath,
        admin_step_up: NamedDependency[Principal],
        execution_venue_admin: NamedDependency[VenueAdmin],
    ) -> VenueHealthView:
        return await execution_venue_admin.reset_breaker(venue)

    @post("/venues/{venue:str}/faults", status_code=200, summary="Inject faults (sim venues)")
    async def set_faults(
        self,
        venue: IdPath,
        data: JSONBody[VenueFaultsBody],
        admin_step_up: NamedDependency[Principal],
        execution_venue_admin: NamedDependency[VenueAdmin],
    ) -> VenueFaultsView:
        return execution_venue_admin.set_faults(venue, data)

    @get(
        "/users/{user_id:uuid}/positions",
        summary="A user's positions with realised and unrealised P&L, for support (admin only)",
        description="Execution keeps no account list: a well-formed id of a user without "
        "positions answers an empty list.",
    )
    async def user_positions(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        execution_views: NamedDependency[ExecutionViews],
    ) -> list[PositionView]:
        return await execution_views.positions(str(user_id))

    @post("/users/{user_id:str}/trading/resume", status_code=200, summary="Resume a paused user")
    async def resume_trading(
        self,
        user_id: IdPath,
        admin_step_up: NamedDependency[Principal],
        execution_user_controls: NamedDependency[UserControls],
    ) -> TradingControlView:
        if len(user_id) > 64:
            raise ProblemError(400, "invalid_user_id", "user id is too long")
        await execution_user_controls.resume_user(user_id)
        return TradingControlView(user_id=user_id, paused=False)

"""Execution's HTTP surface: the venues orders can be routed to."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from modules.execution.schemas import VenueView
from modules.execution.service import ExecutionService
from modules.kernel.auth import Principal


class VenuesController(Controller):
    path = "/v1/venues"
    tags = ["venues"]

    @get("/", summary="Venues, their symbols, fee rates and latency", sync_to_thread=False)
    def list_venues(
        self,
        principal: NamedDependency[Principal],
        execution_service: NamedDependency[ExecutionService],
    ) -> list[VenueView]:
        return execution_service.overview()

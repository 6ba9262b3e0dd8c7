"""The dashboard module as a Litestar plugin: read models, WebSocket pushes, notifications."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.api import ROUTES
from modules.dashboard.handlers import subscriptions
from modules.dashboard.service import DashboardService
from modules.kernel.module import NijaModule, Runtime, Subscription

_GOING_AWAY = 1001


class DashboardModule(NijaModule):
    name = "dashboard"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        # One process, one hub; a Redis-backed PushHub replaces it for several replicas.
        self.hub = InProcessHub(runtime.metrics)
        self.service = DashboardService(runtime, self.hub)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return ROUTES

    def dependencies(self) -> dict[str, Provide]:
        return {"dashboard_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)

    async def stop(self) -> None:
        await self.hub.close_all(_GOING_AWAY, "server shutting down")


plugin = DashboardModule

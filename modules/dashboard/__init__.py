"""The dashboard module as a Litestar plugin: read models, WebSocket pushes, notifications."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.api import ROUTES
from modules.dashboard.handlers import subscriptions
from modules.dashboard.repository import DashboardRepository
from modules.dashboard.service import DashboardService, PushHub
from modules.dashboard.views import DashboardViews
from modules.kernel.module import NijaModule, Runtime, Subscription

_GOING_AWAY = 1001


class DashboardModule(NijaModule):
    name = "dashboard"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.hub = _hub_for(runtime)
        self.views = DashboardViews()
        self.service = DashboardService(runtime, self.hub, DashboardRepository())

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return ROUTES

    def dependencies(self) -> dict[str, Provide]:
        return {
            "dashboard_service": Provide(lambda: self.service, sync_to_thread=False),
            "dashboard_views": Provide(lambda: self.views, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)

    async def start(self) -> None:
        await self.hub.start()

    async def stop(self) -> None:
        await self.hub.close_all(_GOING_AWAY, "server shutting down")
        await self.hub.stop()


def _hub_for(runtime: Runtime) -> PushHub:
    """In-process for one replica; through Redis when several replicas share the users."""
    local = InProcessHub(runtime.metrics)
    if runtime.settings.redis_url:
        from modules.dashboard.adapters.redis_hub import RedisHub

        return RedisHub(runtime.settings.redis_url, local)
    return local


plugin = DashboardModule

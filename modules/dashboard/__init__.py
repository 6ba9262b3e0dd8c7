"""The dashboard module as a Litestar plugin: read models, WebSocket pushes, notifications."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.api.notifications import NotificationsController
from modules.dashboard.api.orders import OrdersController
from modules.dashboard.api.stream import stream
from modules.dashboard.handlers import subscriptions
from modules.dashboard.ports import PushHub
from modules.dashboard.repository.orders import DashboardRepository
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.views.orders import DashboardViews
from modules.dashboard.workers.push_relay import PushRelay
from modules.dashboard.workers.socket_guard import SocketGuard
from modules.kernel.module import NijaModule, Runtime, Subscription

_GOING_AWAY = 1001


class DashboardModule(NijaModule):
    name = "dashboard"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.hub: PushHub = InProcessHub(runtime.metrics)
        self.relay: PushRelay | None = None
        if runtime.settings.redis_url:
            # Several replicas share the users: pushes go through Redis to every replica.
            from modules.dashboard.adapters.redis_hub import RedisHub

            shared = RedisHub(runtime.settings.redis_url, self.hub, runtime.metrics)
            self.hub, self.relay = shared, PushRelay(shared, runtime.metrics)
        self.views = DashboardViews()
        self.service = DashboardService(runtime, self.hub, DashboardRepository())
        self.guard = SocketGuard(self.service, runtime.metrics)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [OrdersController, NotificationsController, stream]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "dashboard_service": Provide(lambda: self.service, sync_to_thread=False),
            "dashboard_views": Provide(lambda: self.views, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)

    async def start(self) -> None:
        if self.relay is not None:
            await self.relay.start()
        self.guard.start()

    async def stop(self) -> None:
        await self.guard.stop()
        await self.hub.close_all(_GOING_AWAY, "server shutting down")
        if self.relay is not None:
            await self.relay.stop()
        await self.hub.stop()


plugin = DashboardModule

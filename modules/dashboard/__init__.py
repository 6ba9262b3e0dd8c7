"""The dashboard module as a Litestar plugin: read models, WebSocket pushes, notifications."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.api.activity import ActivityController
from modules.dashboard.api.notifications import NotificationsController
from modules.dashboard.api.orders import OrdersController
from modules.dashboard.api.overview import OverviewController
from modules.dashboard.api.positions import PositionsController
from modules.dashboard.api.statistics import StatisticsController
from modules.dashboard.api.stream import stream
from modules.dashboard.handlers import screen_subscriptions, subscriptions
from modules.dashboard.ports import PushHub
from modules.dashboard.repository.account import AccountRepository
from modules.dashboard.repository.days import DayRepository
from modules.dashboard.repository.orders import DashboardRepository
from modules.dashboard.repository.positions import PositionRepository
from modules.dashboard.repository.trades import TradeRepository
from modules.dashboard.service.account import AccountFolds
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.positions import PositionFold
from modules.dashboard.service.pushes import Pusher
from modules.dashboard.service.trades import TradeFolds
from modules.dashboard.views.activity import ActivityViews
from modules.dashboard.views.orders import DashboardViews
from modules.dashboard.views.overview import OverviewViews
from modules.dashboard.views.positions import PositionViews
from modules.dashboard.views.statistics import StatisticsViews
from modules.dashboard.workers.bar_retention import BarRetention
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
        self._screens(runtime)

    def _screens(self, runtime: Runtime) -> None:
        """The screens' read side: its folds, pushes and views."""
        db = runtime.db

        def clock() -> datetime:
            return runtime.clock()  # read at each call, so a test can move the clock

        pusher = Pusher(self.hub, runtime.metrics, hub_is_local=not runtime.settings.redis_url)
        trades, days = TradeRepository(), DayRepository()
        positions = PositionFold(PositionRepository(), trades)
        self.trade_folds = TradeFolds(db, clock, trades, days, positions, pusher)
        self.account_folds = AccountFolds(db, clock, AccountRepository(), days, pusher)
        self.bar_retention = BarRetention(self.account_folds, runtime.metrics)
        self.screen_views = {
            "overview_views": OverviewViews(db, clock),
            "position_views": PositionViews(db, clock),
            "activity_views": ActivityViews(db),
            "statistics_views": StatisticsViews(db, clock),
        }

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            OrdersController,
            NotificationsController,
            stream,
            OverviewController,
            PositionsController,
            ActivityController,
            StatisticsController,
        ]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "dashboard_service": Provide(lambda: self.service, sync_to_thread=False),
            "dashboard_views": Provide(lambda: self.views, sync_to_thread=False),
            **{
                name: Provide(_constant(view), sync_to_thread=False)
                for name, view in self.screen_views.items()
            },
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            *subscriptions(self.service),
            *screen_subscriptions(self.trade_folds, self.account_folds),
        ]

    async def start(self) -> None:
        if self.relay is not None:
            await self.relay.start()
        self.guard.start()
        self.bar_retention.start()

    async def stop(self) -> None:
        await self.bar_retention.stop()
        await self.guard.stop()
        await self.hub.close_all(_GOING_AWAY, "server shutting down")
        if self.relay is not None:
            await self.relay.stop()
        await self.hub.stop()


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


plugin = DashboardModule

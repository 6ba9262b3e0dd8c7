"""The dashboard module as a Litestar plugin: read models, WebSocket pushes, notifications and
phone pushes (Expo), price alerts, the admin overview."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

import modules.dashboard.config as config
from modules.dashboard.adapters.expo_push import ExpoPushService
from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.adapters.pg_notify_hub import PostgresHub
from modules.dashboard.api.activity import ActivityController
from modules.dashboard.api.admin import DashboardAdminController
from modules.dashboard.api.notifications import NotificationsController
from modules.dashboard.api.orders import OrdersController
from modules.dashboard.api.overview import OverviewController
from modules.dashboard.api.positions import PositionsController
from modules.dashboard.api.push import PriceAlertsController, PushDevicesController
from modules.dashboard.api.statistics import StatisticsController
from modules.dashboard.api.stream import stream
from modules.dashboard.domain.admin import VenueBoard
from modules.dashboard.handlers import (
    order_path_subscriptions,
    push_subscriptions,
    screen_subscriptions,
    subscriptions,
)
from modules.dashboard.ports import PushHub, PushSender
from modules.dashboard.repository.account import AccountRepository as ScreenAccountRepository
from modules.dashboard.repository.accounts import AccountRepository
from modules.dashboard.repository.days import DayRepository
from modules.dashboard.repository.orders import DashboardRepository
from modules.dashboard.repository.positions import PositionRepository
from modules.dashboard.repository.price_alerts import PriceAlertRepository
from modules.dashboard.repository.push import PushRepository
from modules.dashboard.repository.trades import TradeRepository
from modules.dashboard.service.account import AccountFolds
from modules.dashboard.service.accounts import Accounts
from modules.dashboard.service.daily_summary import DailySummaries
from modules.dashboard.service.group_commit import SharedGroupCommit
from modules.dashboard.service.order_path import OrderPath
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.positions import PositionFold
from modules.dashboard.service.price_alerts import PriceAlerts
from modules.dashboard.service.push import Notifier, PushDevices
from modules.dashboard.service.push_delivery import PushDelivery
from modules.dashboard.service.pushes import Pusher
from modules.dashboard.service.trade_alerts import TradeAlerts
from modules.dashboard.service.trades import TradeFolds
from modules.dashboard.service.venues import VenueReports
from modules.dashboard.views.activity import ActivityViews
from modules.dashboard.views.admin import AdminViews
from modules.dashboard.views.orders import DashboardViews
from modules.dashboard.views.overview import OverviewViews
from modules.dashboard.views.positions import PositionViews
from modules.dashboard.views.push import PushViews
from modules.dashboard.views.statistics import StatisticsViews
from modules.dashboard.workers.bar_retention import BarRetention
from modules.dashboard.workers.push_delivery import PushWorkers
from modules.dashboard.workers.push_relay import PushRelay
from modules.dashboard.workers.socket_guard import SocketGuard
from modules.execution.contracts import BalanceChanged
from modules.kernel.module import NijaModule, Runtime, Subscription

_GOING_AWAY = 1001


def _push_hub(runtime: Runtime) -> tuple[PushHub, PushRelay | None]:
    """This process's sockets, and the channel pushes take to every replica's."""
    settings = runtime.settings
    local = InProcessHub(runtime.metrics)
    fanout = settings.push_fanout
    if fanout == "auto":
        fanout = "redis" if settings.redis_url else "postgres"
    if fanout == "local":
        return local, None
    if fanout == "redis":
        if not settings.redis_url:
            raise ValueError("NIJA_PUSH_FANOUT=redis needs NIJA_REDIS_URL")
        from modules.dashboard.adapters.redis_hub import RedisHub

        redis_hub = RedisHub(settings.redis_url, local, runtime.metrics)
        return redis_hub, PushRelay(redis_hub, runtime.metrics)
    pg_hub = PostgresHub(runtime.db, local, runtime.metrics)
    return pg_hub, PushRelay(pg_hub, runtime.metrics)


class DashboardModule(NijaModule):
    name = "dashboard"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.hub, self.relay = _push_hub(runtime)
        self.views = DashboardViews()
        self._wire_push(runtime)
        self.service = DashboardService(runtime, self.hub, DashboardRepository(), self.notifier)
        self.guard = SocketGuard(self.service, runtime.metrics)
        self._screens(runtime)
        path = OrderPath(self.service, self.trade_folds, self.account_folds, self.trade_alerts)
        self.order_path = SharedGroupCommit(
            name="dashboard.order-path",
            fold=path.fold,
            unit_of_work=self.unit_of_work,
            lingering=(BalanceChanged,),
            linger=config.BALANCE_LINGER_SECONDS,
        )

    def _screens(self, runtime: Runtime) -> None:
        """The screens' read side: its folds, pushes and views."""
        db = runtime.db

        def clock() -> datetime:
            return runtime.clock()  # read at each call, so a test can move the clock

        pusher = Pusher(self.hub, runtime.metrics)
        trades, days = TradeRepository(), DayRepository()
        positions = PositionFold(PositionRepository(), trades)
        self.trade_folds = TradeFolds(db, clock, trades, days, positions, pusher)
        self.account_folds = AccountFolds(db, clock, ScreenAccountRepository(), days, pusher)
        self.bar_retention = BarRetention(self.account_folds, runtime.metrics)
        self.screen_views = {
            "overview_views": OverviewViews(db, clock),
            "position_views": PositionViews(db, clock),
            "activity_views": ActivityViews(db),
            "statistics_views": StatisticsViews(db, clock),
        }

    def _wire_push(self, runtime: Runtime) -> None:
        pushes, accounts = PushRepository(), AccountRepository()
        self.sender: PushSender = ExpoPushService(
            runtime.settings.expo_push_url,
            runtime.settings.expo_access_token,
            timeout=config.EXPO_TIMEOUT_SECONDS,
        )
        self.notifier = Notifier(runtime, self.hub, pushes, accounts)
        self.push_devices = PushDevices(runtime, pushes)
        self.push_delivery = PushDelivery(runtime, pushes, self.sender)
        self.price_alerts = PriceAlerts(runtime, PriceAlertRepository(), self.notifier)
        self.daily_summaries = DailySummaries(runtime, accounts, self.notifier)
        self.trade_alerts = TradeAlerts(accounts, self.notifier)
        self.accounts = Accounts(accounts)
        board = VenueBoard()
        self.venue_reports = VenueReports(board)
        self.push_views = PushViews(runtime.db)
        self.admin_views = AdminViews(runtime.db, runtime.clock, board)
        self.push_workers = PushWorkers(
            self.push_delivery, self.daily_summaries, self.price_alerts, runtime.metrics
        )
        self.notifier.wake_delivery = self.push_workers.wake_delivery

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            OrdersController,
            NotificationsController,
            PushDevicesController,
            PriceAlertsController,
            DashboardAdminController,
            OverviewController,
            PositionsController,
            ActivityController,
            StatisticsController,
            stream,
        ]

    def dependencies(self) -> dict[str, Provide]:
        provided = {
            "dashboard_service": self.service,
            "dashboard_views": self.views,
            "dashboard_notifier": self.notifier,
            "dashboard_push_devices": self.push_devices,
            "dashboard_push_views": self.push_views,
            "dashboard_price_alerts": self.price_alerts,
            "dashboard_admin_views": self.admin_views,
            **self.screen_views,
        }
        return {name: _provide(value) for name, value in provided.items()}

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            *subscriptions(self.service),
            *order_path_subscriptions(self.order_path),
            *push_subscriptions(self.accounts, self.price_alerts, self.venue_reports),
            *screen_subscriptions(self.account_folds),
        ]

    async def start(self) -> None:
        if self.relay is not None:
            await self.relay.start()
        self.guard.start()
        self.push_workers.start()
        self.bar_retention.start()

    async def stop(self) -> None:
        await self.bar_retention.stop()
        await self.push_workers.stop()
        await self.sender.close()
        await self.guard.stop()
        await self.hub.close_all(_GOING_AWAY, "server shutting down")
        if self.relay is not None:
            await self.relay.stop()
        await self.hub.stop()


def _provide(value: object) -> Provide:
    return Provide(lambda: value, sync_to_thread=False)


plugin = DashboardModule

"""The routing module as a Litestar plugin: builds and wires everything the module is made of.

Use cases: service/; reads for the API: views/; published events: contracts.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.routing.api import (
    AdminRoutingController,
    OrdersController,
    PositionCloseController,
    TradingSettingsController,
)
from modules.routing.config import RoutingConfig, load_config
from modules.routing.domain.market_books import MarketBooks
from modules.routing.domain.venue_monitor import VenueMonitor
from modules.routing.handlers import subscriptions
from modules.routing.repository.cancels import CancelRepository
from modules.routing.repository.credentials import CredentialRepository
from modules.routing.repository.equity import EquityRepository
from modules.routing.repository.fills import FillRepository
from modules.routing.repository.idempotency import IdempotencyRepository
from modules.routing.repository.orders import OrderRepository
from modules.routing.repository.outcomes import OutcomeRepository
from modules.routing.repository.positions import PositionRepository
from modules.routing.repository.risk import RiskRepository
from modules.routing.repository.twap import TwapRepository
from modules.routing.repository.user_views import UserViewRepository
from modules.routing.service.cancels import OrderCancels
from modules.routing.service.controls import Controls
from modules.routing.service.halt import HaltCloser
from modules.routing.service.handoff import Handoff
from modules.routing.service.intake import Intake
from modules.routing.service.intents import Intents
from modules.routing.service.market import MarketFeed
from modules.routing.service.order_path import OrderPath
from modules.routing.service.planner import Planner
from modules.routing.service.positions import Positions
from modules.routing.service.reports import Reports
from modules.routing.service.risk_gate import RiskGate
from modules.routing.service.standing import Standing
from modules.routing.service.twap import TwapScheduler
from modules.routing.service.user_views import UserViews
from modules.routing.views.admin import AdminViews
from modules.routing.views.orders import OrderViews
from modules.routing.views.settings import SettingsViews
from modules.routing.workers.twap import TwapWorker


class RoutingModule(NijaModule):
    name = "routing"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        config = load_config()
        self._books = MarketBooks()
        self._monitor = VenueMonitor(
            window=config.success_window, min_samples=config.success_min_samples
        )
        self._orders = OrderRepository()
        self._credentials = CredentialRepository()
        self._risk = RiskRepository(runtime.db)
        self._outcomes = OutcomeRepository(runtime.db)
        self._positions = PositionRepository(runtime.db)
        self._cancel_repository = CancelRepository()
        self._views = UserViews(runtime, UserViewRepository(runtime.db))
        self.cancels = OrderCancels(runtime, self._cancel_repository)
        self._planner = Planner(runtime, config, self._monitor)
        self._handoff = Handoff(runtime, self._orders, self._monitor)
        self._wire_intake(config)
        self._wire_subscriptions(config)
        self._order_views = OrderViews(runtime.db)
        self._settings_views = SettingsViews(runtime.db, config)
        self._admin_views = AdminViews(runtime.db, runtime.clock, self._monitor)
        self.controls = Controls(runtime, self._risk, self._settings_views)
        self.halt = HaltCloser(self._positions, self.cancels, self.intake)

    def _wire_intake(self, config: RoutingConfig) -> None:
        twap = TwapScheduler(
            self.runtime,
            self._books,
            config,
            plans=TwapRepository(),
            credentials=self._credentials,
            risk=self._risk,
            planner=self._planner,
            handoff=self._handoff,
        )
        self._twap_worker = TwapWorker(twap, config, self.runtime.metrics)
        self.intake = Intake(
            self.runtime,
            self._books,
            views=self._views,
            idempotency=IdempotencyRepository(),
            orders=self._orders,
            positions=self._positions,
            gate=RiskGate(self.runtime, config),
            planner=self._planner,
            handoff=self._handoff,
            twap=twap,
            twap_planned=self._twap_worker.wake,
        )

    def _wire_subscriptions(self, config: RoutingConfig) -> None:
        self._market = MarketFeed(self._books, self._monitor, self._outcomes, config)
        self._standing = Standing(self._credentials, self._risk)
        self._intents = Intents(self.runtime, self.intake)
        positions = Positions(self._positions, EquityRepository(), self._views)
        reports = Reports(
            self.runtime,
            self._books,
            self._monitor,
            config,
            orders=self._orders,
            fills=FillRepository(),
            credentials=self._credentials,
            outcomes=self._outcomes,
            cancels=self._cancel_repository,
            planner=self._planner,
            handoff=self._handoff,
        )
        self._order_path = OrderPath(reports, positions)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            OrdersController,
            PositionCloseController,
            TradingSettingsController,
            AdminRoutingController,
        ]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "routing_intake": Provide(lambda: self.intake, sync_to_thread=False),
            "routing_controls": Provide(lambda: self.controls, sync_to_thread=False),
            "routing_cancels": Provide(lambda: self.cancels, sync_to_thread=False),
            "routing_halt": Provide(lambda: self.halt, sync_to_thread=False),
            "routing_orders": Provide(lambda: self._order_views, sync_to_thread=False),
            "routing_settings": Provide(lambda: self._settings_views, sync_to_thread=False),
            "routing_admin": Provide(lambda: self._admin_views, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self._standing, self._market, self._order_path, self._intents)

    async def start(self) -> None:
        await self._market.load_outcomes()
        self._twap_worker.start()

    async def stop(self) -> None:
        await self._twap_worker.stop()


plugin = RoutingModule

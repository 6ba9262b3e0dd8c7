"""The routing module as a Litestar plugin.

Use cases: service.py; published events: contracts.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.routing.adapters.config import load_config
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.adapters.venue_monitor import VenueMonitor
from modules.routing.api import (
    AdminRoutingController,
    OrdersController,
    PositionsController,
    TradingSettingsController,
)
from modules.routing.handlers import RoutingHandlers
from modules.routing.repository import RoutingRepository
from modules.routing.service import RoutingDesk, RoutingService


class RoutingModule(NijaModule):
    name = "routing"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        config = load_config()
        books = MarketBooks()
        repository = RoutingRepository(runtime.db)
        monitor = VenueMonitor(window=config.success_window, min_samples=config.success_min_samples)
        self.service = RoutingService(runtime, books, repository, config, monitor)
        self.desk = RoutingDesk(runtime, repository, self.service)
        self._handlers = RoutingHandlers(runtime, repository, books, self.service)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            OrdersController,
            PositionsController,
            TradingSettingsController,
            AdminRoutingController,
        ]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "routing_service": Provide(lambda: self.service, sync_to_thread=False),
            "routing_desk": Provide(lambda: self.desk, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return self._handlers.subscriptions()

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()


plugin = RoutingModule

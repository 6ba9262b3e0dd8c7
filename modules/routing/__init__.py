"""The routing module as a Litestar plugin.

Use cases: service.py; published events: contracts.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.routing.adapters.market_books import MarketBooks
from modules.routing.api import OrdersController
from modules.routing.handlers import RoutingHandlers
from modules.routing.repository import RoutingRepository
from modules.routing.service import RoutingService


class RoutingModule(NijaModule):
    name = "routing"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        books = MarketBooks()
        repository = RoutingRepository()
        self.service = RoutingService(runtime, books, repository)
        self._handlers = RoutingHandlers(repository, books)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [OrdersController]

    def dependencies(self) -> dict[str, Provide]:
        return {"routing_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return self._handlers.subscriptions()


plugin = RoutingModule

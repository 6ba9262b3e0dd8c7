"""The execution module as a Litestar plugin: its wiring, and nothing else.

Use cases: service/; queue workers and periodic rounds: workers/; pure rules: domain/; the venue
port: ports.py, with its adapters in adapters/; published events: contracts.py.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.execution.adapters.sim_venue.venue import EXCHANGE_SESSIONS, SimVenue
from modules.execution.api import ExecutionAdminController, PositionsController, VenuesController
from modules.execution.config import load_config
from modules.execution.domain.breaker import BreakerPolicy
from modules.execution.domain.venue_stats import VenueLimits
from modules.execution.handlers import subscriptions
from modules.execution.repository.credentials import CredentialRepository
from modules.execution.repository.orders import OrderRepository
from modules.execution.repository.positions import PositionRepository
from modules.execution.repository.user_controls import UserControlRepository
from modules.execution.service.balances import BalanceReports
from modules.execution.service.cancels import Cancels
from modules.execution.service.circuit_breaker import CircuitBreaker
from modules.execution.service.credentials import Credentials
from modules.execution.service.intake import Intake
from modules.execution.service.market_data import BarPublisher
from modules.execution.service.market_history import MarketHistory
from modules.execution.service.market_reports import MarketReports
from modules.execution.service.outcomes import OrderOutcomes
from modules.execution.service.placement import Placement
from modules.execution.service.reconciliation import Reconciler
from modules.execution.service.user_controls import UserControls
from modules.execution.service.venue_admin import VenueAdmin
from modules.execution.service.verification import CredentialVerification
from modules.execution.views import ExecutionViews
from modules.execution.workers.bars import bars_worker
from modules.execution.workers.order_queue import OrderQueueWorkers
from modules.execution.workers.periodic import periodic_workers
from modules.kernel.db import SidePool
from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.kernel.worker import Worker


class ExecutionModule(NijaModule):
    name = "execution"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.config = load_config(runtime.settings)
        self.exchange_db = SidePool(
            runtime.db, EXCHANGE_SESSIONS, size=runtime.settings.sim_pool_size
        )
        self.venues = SimVenue.fleet(self.exchange_db, runtime.settings)
        self._orders = OrderRepository()
        self.limits = {name: VenueLimits() for name in self.venues}
        self._wire_service(runtime)
        self._wire_workers(runtime)
        self.views = ExecutionViews(runtime.db, self.venues, marks=self.reports.mid)
        self.venue_admin = VenueAdmin(self.reports, self.limits, in_flight=self.queue.in_flight)
        self.history = MarketHistory(self.venues)

    def _wire_service(self, runtime: Runtime) -> None:
        config, venues, orders = self.config, self.venues, self._orders
        state = runtime.state("execution")
        copies, controls = CredentialRepository(), UserControlRepository()
        breakers = {name: CircuitBreaker(state, name, BreakerPolicy()) for name in venues}
        self.reports = MarketReports(runtime, venues, breakers, orders)
        self.user_controls = UserControls(runtime, controls)
        outcomes = OrderOutcomes(runtime, orders, PositionRepository(), self.user_controls)
        self.credentials = Credentials(
            runtime,
            config,
            venues,
            credentials=copies,
            outcomes=outcomes,
        )
        self.balances = balances = BalanceReports(runtime, known_mid=self.reports.mid)
        self.verification = CredentialVerification(runtime, venues, self.credentials)
        replica = f"replica-{uuid.uuid4().hex[:12]}"
        self.placement = Placement(
            runtime,
            config,
            orders,
            replica,
            state=state,
            limits=self.limits,
            reports=self.reports,
            credentials=self.credentials,
            outcomes=outcomes,
            balances=balances,
        )
        self.intake = Intake(
            venues,
            orders=orders,
            credentials=self.credentials,
            outcomes=outcomes,
            nudge=self._nudge,
        )
        self.cancels = Cancels(
            runtime,
            orders=orders,
            credentials=self.credentials,
            outcomes=outcomes,
            balances=balances,
            resting_poll_seconds=config.resting_poll_seconds,
            wake=lambda: self.open_orders.wake(),
        )
        self.reconciler = Reconciler(
            runtime,
            replica,
            orders=orders,
            credential_copies=copies,
            credentials=self.credentials,
            outcomes=outcomes,
            user_controls=self.user_controls,
            nudge=self._nudge,
        )

    def _wire_workers(self, runtime: Runtime) -> None:
        self.queue = OrderQueueWorkers(
            runtime,
            self.config,
            self.limits,
            orders=self._orders,
            placement=self.placement,
            reconciler=self.reconciler,
        )
        self.periodic = periodic_workers(
            self.config,
            runtime.metrics,
            publish_books=self.reports.publish_books,
            publish_health=self.reports.publish_health,
            reconcile=functools.partial(self.reconciler.reconcile, startup=False),
            sweep_unknown_fills=self.reconciler.sweep_unknown_fills,
        )
        self.open_orders = Worker(
            "execution.open-orders",
            self.cancels.round,
            period=self.config.market_tick_seconds,
            metrics=runtime.metrics,
        )
        self.bars = BarPublisher(
            runtime,
            self.venues,
            timeframes=self.config.bar_timeframes,
            catch_up=self.config.bar_catch_up,
        )
        self.periodic.append(bars_worker(self.config, runtime.metrics, self.bars))

    def _nudge(self, venue: str) -> None:
        # The queue workers are built after the use cases that wake them.
        self.queue.nudge(venue)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [VenuesController, PositionsController, ExecutionAdminController]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "execution_views": Provide(lambda: self.views, sync_to_thread=False),
            "execution_venue_admin": Provide(lambda: self.venue_admin, sync_to_thread=False),
            "execution_user_controls": Provide(lambda: self.user_controls, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(
            self.intake, self.credentials, self.verification, self.cancels, self.history
        )

    async def start(self) -> None:
        await self.exchange_db.start()
        # One round before serving, so routing has books for the very first order.
        await self.reports.publish_books()
        # Whatever a previous process left claimed or ambiguous is settled with the venue
        # before new work is taken; queued rows are simply picked up by the workers.
        await self.reconciler.reconcile(startup=True)
        self.queue.start()
        for worker in (*self.periodic, self.open_orders):
            worker.start()

    async def idle(self) -> None:
        """Wait until execution has no queued, in-flight or ambiguous order, nor a balance
        report still to write (tests' settle)."""
        await self.queue.idle()
        await self.balances.idle()

    async def stop(self) -> None:
        await self.queue.stop()
        await self.balances.close()
        await self.credentials.close()
        for worker in (*self.periodic, self.open_orders):
            await worker.stop()
        await self.exchange_db.stop()


plugin = ExecutionModule

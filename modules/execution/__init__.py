"""The execution module as a Litestar plugin.

Use cases: service.py; published events: contracts.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.execution.adapters.sim_venue import build_sim_venues
from modules.execution.api import (
    ExecutionAdminController,
    PositionsController,
    VenuesController,
)
from modules.execution.handlers import ExecutionHandlers
from modules.execution.repository import ExecutionRepository
from modules.execution.service import ExecutionService
from modules.kernel.module import NijaModule, Runtime, Subscription


class ExecutionModule(NijaModule):
    name = "execution"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        repository = ExecutionRepository()
        venues = build_sim_venues(runtime.db, runtime.settings)
        self.service = ExecutionService(runtime, venues, repository)
        self._handlers = ExecutionHandlers(self.service, repository)
        self._market_data: asyncio.Task[None] | None = None

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [VenuesController, PositionsController, ExecutionAdminController]

    def dependencies(self) -> dict[str, Provide]:
        return {"execution_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return self._handlers.subscriptions()

    async def start(self) -> None:
        # One round before serving, so routing has books for the very first order.
        await self.service.monitor.publish_books()
        # Whatever a previous process left claimed or ambiguous is settled with the venue
        # before new work is taken; queued rows are simply picked up by the workers.
        await self.service.reconcile(startup=True)
        for pool in self.service.pools.values():
            pool.start()
        self._market_data = asyncio.create_task(
            self.service.run_market_data(self.runtime.settings.market_tick_seconds),
            name="execution:market-data",
        )

    async def idle(self) -> None:
        """Wait until execution has no queued, in-flight or ambiguous order (tests' settle)."""
        await self.service.idle()

    async def stop(self) -> None:
        for pool in self.service.pools.values():
            await pool.stop()
        await self.service.close()
        if self._market_data is not None:
            self._market_data.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._market_data
            self._market_data = None


plugin = ExecutionModule

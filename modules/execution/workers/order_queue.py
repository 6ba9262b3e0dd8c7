"""The queue workers of every venue, and waiting for the queue to drain (tests' settle)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from modules.execution.config import ExecutionConfig
from modules.execution.domain.venue_stats import VenueLimits
from modules.execution.repository.orders import OrderRepository
from modules.execution.service.placement import Dispatch, Placement
from modules.execution.service.reconciliation import Reconciler
from modules.execution.workers.venue_pool import VenuePool
from modules.kernel.module import Runtime

log = logging.getLogger("nija.execution")


class OrderQueueWorkers:
    def __init__(
        self,
        runtime: Runtime,
        config: ExecutionConfig,
        limits: Mapping[str, VenueLimits],
        *,
        orders: OrderRepository,
        placement: Placement,
        reconciler: Reconciler,
    ) -> None:
        self._runtime = runtime
        self._orders = orders
        self._reconciler = reconciler
        self.pools: dict[str, VenuePool[Dispatch]] = {
            venue: VenuePool(
                venue,
                placement.claim,
                placement.run,
                capacity=_capacity(limits[venue]),
                metrics=runtime.metrics,
                poll_seconds=config.queue_poll_seconds,
            )
            for venue in limits
        }

    def nudge(self, venue: str) -> None:
        """Work was queued on `venue`: claim it now rather than at the next poll."""
        self.pools[venue].nudge()

    def in_flight(self, venue: str) -> int:
        return self.pools[venue].in_flight

    def start(self) -> None:
        for pool in self.pools.values():
            pool.start()

    async def stop(self) -> None:
        for pool in self.pools.values():
            await pool.stop()

    async def idle(self, within: float = 120.0) -> None:
        """Wait until no order is queued, being placed or ambiguous (for tests' settle)."""
        deadline = time.monotonic() + within
        next_reconcile = time.monotonic()
        while time.monotonic() < deadline:
            async with self._runtime.db.connection() as conn:
                pending = await self._orders.unfinished(conn)
            if pending == 0 and not any(p.in_flight for p in self.pools.values()):
                return
            if pending and time.monotonic() >= next_reconcile:
                # Settles ambiguous orders now rather than at the next market tick.
                await self._reconciler.reconcile(startup=False)
                next_reconcile = time.monotonic() + 0.2
            await asyncio.sleep(0.01)
        log.warning("execution still busy after %.0f s", within)


def _capacity(limits: VenueLimits) -> Callable[[], int]:
    # Read at every claim: an admin may change how many orders a venue has in flight.
    return lambda: limits.max_in_flight

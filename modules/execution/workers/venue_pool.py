"""A venue's queue workers: take orders off the queue table and place them, a few at a time.

The queue itself is the `execution.orders` table (durable, shared by replicas, claimed with a
conditional UPDATE). Here we only decide *when* to claim: whenever a slot is free and the queue
may hold work (a local nudge after an enqueue commits, or a poll for work enqueued by another
replica). One claim takes up to the free slots, at most one order per user; claims on one venue
are serialised within a replica, so an order that becomes claimable is taken by the very next
claim: the fairness bound is one slot. A failed claim or placement is logged and counted in
`nija_worker_failures_total{worker="execution.queue.<venue>"}`; the pool goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from modules.execution.domain.claims import Claimed
from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.execution.workers")
T = TypeVar("T")


# claim(venue, accounts_to_skip, at_most)
Claim = Callable[[str, list[str], int], Awaitable[Claimed[T]]]


class VenuePool(Generic[T]):
    def __init__(
        self,
        venue: str,
        claim: Claim[T],
        run: Callable[[T], Awaitable[None]],
        *,
        capacity: Callable[[], int],
        metrics: Metrics,
        poll_seconds: float = 0.25,
    ) -> None:
        self.venue = venue
        self.name = f"execution.queue.{venue}"
        self._failures = metrics.worker_failures.labels(self.name)
        self._claim = claim
        self._run = run
        # Read at every claim: an admin may change how many orders a venue has in flight.
        self._capacity = capacity
        self._freed = asyncio.Event()
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._cooling: dict[str, float] = {}
        self.in_flight = 0

    def nudge(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"execution:queue:{self.venue}")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    async def _loop(self) -> None:
        while True:
            while self.in_flight >= self._capacity():
                self._freed.clear()
                await self._freed.wait()
            try:
                claimed = await self._next(self._capacity() - self.in_flight)
            except Exception:
                self._failures.inc()
                log.exception("claim failed", extra={"venue": self.venue})
                claimed = Claimed(orders=[], cooling={})
            for order in claimed.orders:
                self.in_flight += 1
                task = asyncio.create_task(self._serve(order))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            # An account out of tokens: other accounts' orders may be waiting behind its own.
            if claimed.cooling:
                continue
            if not claimed.orders or claimed.drained:
                await self._idle()

    async def _next(self, free_slots: int) -> Claimed[T]:
        now = time.monotonic()
        self._cooling = {a: t for a, t in self._cooling.items() if t > now}
        claimed = await self._claim(self.venue, list(self._cooling), free_slots)
        for account, wait in claimed.cooling.items():
            self._cooling[account] = now + wait
        return claimed

    async def _idle(self) -> None:
        timeout = self._poll
        if self._cooling:
            timeout = min(timeout, max(min(self._cooling.values()) - time.monotonic(), 0.001))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()

    async def _serve(self, order: T) -> None:
        try:
            await self._run(order)
        except Exception:
            self._failures.inc()
            log.exception("order run failed", extra={"venue": self.venue})
        finally:
            self.in_flight -= 1
            # Wakes the loop only if it waits for a slot: an idle loop has claimed all there
            # was, and new work nudges it (a finished order frees no token: time does).
            self._freed.set()

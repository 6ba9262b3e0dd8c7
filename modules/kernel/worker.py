"""A long-running loop that survives its own failures and says so.

Every module's `workers/` builds its loops on `Worker`: one named round at a time, repeated every
`period` seconds (sooner when `wake()` is called). A failed round is logged with its traceback and
counted in `nija_worker_failures_total{worker}`; the loop goes on, so one failing step (a publish
during a bus outage, say) can never silently stop the others or kill the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.worker")


class Worker:
    def __init__(
        self,
        name: str,
        round_: Callable[[], Awaitable[object]],
        *,
        period: float | Callable[[], float],
        metrics: Metrics,
        wait_first: bool = False,
    ) -> None:
        self.name = name
        # Start with a wait of one period, for rounds that lose nothing by it (a day's summary
        # is due all evening) and would otherwise race what a process does as it starts.
        self._wait_first = wait_first
        self._round = round_
        self._period = period
        self._failures: Counter = metrics.worker_failures
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    @property
    def period(self) -> float:
        return self._period() if callable(self._period) else self._period

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=f"worker-{self.name}")

    def wake(self) -> None:
        """Run the next round now rather than at the end of the period."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> bool:
        """One round; False (logged and counted) when it failed."""
        try:
            await self._round()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failures += 1
            self._failures.labels(self.name).inc()
            log.exception("worker %s: round failed; retrying in %.2f s", self.name, self.period)
            return False
        return True

    async def _run(self) -> None:
        if self._wait_first:
            await self._wait()
        while True:
            await self.run_once()
            await self._wait()

    async def _wait(self) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.period)

"""Execution's periodic rounds, each its own `Worker`: one failing never skips the others.

Every market tick: publish books (routing prices orders on them), publish venue health, and
settle ambiguous orders with their venue. Every `sweep_seconds` (checked each tick): list each
live account's recent venue orders for ones the platform never sent. A failed round is logged
and counted in `nija_worker_failures_total{worker}` and tried again next tick.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from modules.execution.config import ExecutionConfig
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker

Round = Callable[[], Awaitable[object]]


class UnknownFillSweep:
    """The sweep's round: due every `every` seconds, over what the last good sweep missed."""

    def __init__(
        self,
        sweep: Callable[[datetime], Awaitable[int]],
        *,
        every: float,
        lookback: timedelta,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sweep = sweep
        self._every = every
        self._lookback = lookback
        self._monotonic = monotonic
        self._clock = clock
        self._last: float | None = None
        self._swept_to = datetime.min.replace(tzinfo=UTC)

    async def round(self) -> None:
        if self._last is None:  # the first round, as the worker starts: the clocks start here
            self._last = self._monotonic()
            self._swept_to = self._clock() - self._lookback
            return
        if self._monotonic() - self._last < self._every:
            return
        self._last = self._monotonic()
        started = self._clock()
        # A few seconds of overlap: an order the venue dated just before the last sweep started.
        await self._sweep(self._swept_to - timedelta(seconds=5))
        # Only after a sweep went through: a failed one is covered by the next.
        self._swept_to = started


def periodic_workers(
    config: ExecutionConfig,
    metrics: Metrics,
    *,
    publish_books: Round,
    publish_health: Round,
    reconcile: Round,
    sweep_unknown_fills: Callable[[datetime], Awaitable[int]],
) -> list[Worker]:
    tick = config.market_tick_seconds
    sweep = UnknownFillSweep(
        sweep_unknown_fills, every=config.sweep_seconds, lookback=config.sweep_lookback
    )
    return [
        Worker("execution.books", publish_books, period=tick, metrics=metrics),
        Worker("execution.health", publish_health, period=tick, metrics=metrics),
        Worker("execution.reconcile", reconcile, period=tick, metrics=metrics),
        Worker("execution.unknown-fills", sweep.round, period=tick, metrics=metrics),
    ]

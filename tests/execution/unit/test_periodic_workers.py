"""Execution's periodic rounds fail one at a time: a failing publish never skips reconciliation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from modules.execution.config import ExecutionConfig
from modules.execution.workers.periodic import UnknownFillSweep, periodic_workers
from modules.kernel.metrics import Metrics


def _failures(metrics: Metrics, worker: str) -> float:
    value = metrics.registry.get_sample_value("nija_worker_failures_total", {"worker": worker})
    return value or 0.0


async def test_a_failing_book_round_is_counted_and_reconciliation_goes_on() -> None:
    metrics = Metrics()
    calls = {"books": 0, "health": 0, "reconcile": 0, "sweep": 0}

    async def publish_books() -> int:
        calls["books"] += 1
        raise ConnectionError("the bus is down")

    async def publish_health() -> None:
        calls["health"] += 1

    async def reconcile() -> int:
        calls["reconcile"] += 1
        return 0

    async def sweep(since: datetime) -> int:
        calls["sweep"] += 1
        return 0

    workers = periodic_workers(
        ExecutionConfig(market_tick_seconds=0.01, sweep_seconds=3600.0),
        metrics,
        publish_books=publish_books,
        publish_health=publish_health,
        reconcile=reconcile,
        sweep_unknown_fills=sweep,
    )
    for worker in workers:
        worker.start()
    try:
        async with asyncio.timeout(5):
            while calls["reconcile"] < 3 or calls["books"] < 3:
                await asyncio.sleep(0.01)
    finally:
        for worker in workers:
            await worker.stop()
    assert calls["health"] >= 3
    assert calls["sweep"] == 0  # not due within the hour
    assert _failures(metrics, "execution.books") >= 3
    assert _failures(metrics, "execution.reconcile") == 0
    assert _failures(metrics, "execution.health") == 0


class _Clocks:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.now = datetime(2026, 1, 1, 12, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
        self.now += timedelta(seconds=seconds)


async def test_the_sweep_is_due_every_period_and_covers_what_a_failed_one_missed() -> None:
    clocks = _Clocks()
    asked: list[datetime] = []
    failing = False

    async def sweep(since: datetime) -> int:
        asked.append(since)
        if failing:
            raise ConnectionError("venue down")
        return 0

    sweeper = UnknownFillSweep(
        sweep,
        every=30.0,
        lookback=timedelta(hours=1),
        monotonic=lambda: clocks.seconds,
        clock=lambda: clocks.now,
    )
    start = clocks.now
    await sweeper.round()  # the worker starts: nothing swept yet
    clocks.advance(29.0)
    await sweeper.round()
    assert asked == []
    clocks.advance(1.0)
    await sweeper.round()
    assert asked == [start - timedelta(hours=1, seconds=5)]
    first_sweep = clocks.now

    clocks.advance(30.0)
    failing = True
    with pytest.raises(ConnectionError):
        await sweeper.round()
    failing = False
    clocks.advance(30.0)
    await sweeper.round()
    # The failed sweep did not move the mark: this one looks back to the last good one.
    assert asked[1:] == [first_sweep - timedelta(seconds=5)] * 2

"""The push relay keeps listening through lost subscriptions, and says so (no Redis needed)."""

from __future__ import annotations

import asyncio

from modules.dashboard.workers.push_relay import PushRelay
from modules.kernel.metrics import Metrics


class _FlakyChannel:
    """Loses its first `failures` subscriptions, then stays subscribed."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.listens = 0
        self._up = asyncio.Event()

    async def listen(self) -> None:
        self.listens += 1
        if self.listens <= self.failures:
            raise ConnectionError("subscription lost")
        self._up.set()
        await asyncio.Event().wait()

    def retry_delay(self) -> float:
        return 0.01

    async def subscribed(self) -> None:
        await self._up.wait()


def _failures(metrics: Metrics) -> float:
    value = metrics.registry.get_sample_value(
        "nija_worker_failures_total", {"worker": "dashboard-push-relay"}
    )
    return value or 0.0


async def test_lost_subscriptions_are_counted_and_retried_until_one_holds() -> None:
    metrics = Metrics()
    channel = _FlakyChannel(failures=3)
    relay = PushRelay(channel, metrics)
    await asyncio.wait_for(relay.start(), 2)
    try:
        assert channel.listens == 4
        assert _failures(metrics) == 3
    finally:
        await relay.stop()


async def test_stopping_ends_a_subscription_without_counting_a_failure() -> None:
    metrics = Metrics()
    channel = _FlakyChannel(failures=0)
    relay = PushRelay(channel, metrics)
    await relay.start()
    await relay.stop()
    assert channel.listens == 1
    assert _failures(metrics) == 0

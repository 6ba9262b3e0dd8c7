"""Keeps this replica listening on the channel the replicas share pushes through.

Without it a replica would hear only the pushes of events it handled itself. A lost subscription
is a failed round of the worker (logged, counted in `nija_worker_failures_total`) and is retried
after the channel's back-off, for as long as the replica runs.
"""

from __future__ import annotations

import asyncio
import logging

from modules.dashboard.ports import PushChannel
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker

log = logging.getLogger("nija.dashboard.relay")
# Start-up waits this long for the first subscription: pushes published before it are missed.
SUBSCRIBE_WAIT_SECONDS = 5.0


class PushRelay:
    def __init__(self, channel: PushChannel, metrics: Metrics) -> None:
        self._channel = channel
        self._worker = Worker(
            "dashboard-push-relay", channel.listen, period=channel.retry_delay, metrics=metrics
        )

    async def start(self) -> None:
        self._worker.start()
        try:
            await asyncio.wait_for(self._channel.subscribed(), SUBSCRIBE_WAIT_SECONDS)
        except TimeoutError:
            log.warning(
                "push channel not subscribed after %.0f s; starting anyway, still trying",
                SUBSCRIBE_WAIT_SECONDS,
            )

    async def stop(self) -> None:
        await self._worker.stop()

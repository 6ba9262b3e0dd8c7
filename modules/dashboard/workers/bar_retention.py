"""Deletes chart bars older than their timeframe is kept (config.BAR_KEEP_DAYS), every hour.

Execution publishes every bar of every market; without this the minute bars alone would grow
by tens of thousands of rows a day. A failed round is logged and counted, and retried next hour.
"""

from __future__ import annotations

import modules.dashboard.config as config
from modules.dashboard.service.account import AccountFolds
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker


class BarRetention:
    def __init__(self, account: AccountFolds, metrics: Metrics) -> None:
        self._worker = Worker(
            "dashboard-bar-retention",
            account.prune_bars,
            period=lambda: config.BAR_PRUNE_SECONDS,
            metrics=metrics,
        )

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

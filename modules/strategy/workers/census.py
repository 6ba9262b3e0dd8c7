"""The bot census: `nija_bots_running{mode}` counted from the bots table, every 15 s (a
Prometheus scrape interval) and at once after a start or a pause on this replica."""

from __future__ import annotations

from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker
from modules.strategy.service.status import BotStatus

CENSUS_SECONDS = 15.0


def census_worker(status: BotStatus, metrics: Metrics) -> Worker:
    return Worker("strategy.census", status.census, period=CENSUS_SECONDS, metrics=metrics)

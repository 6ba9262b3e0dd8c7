"""The TWAP scheduler: sends due slices every poll, and at once when intake commits a plan."""

from __future__ import annotations

from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker
from modules.routing.config import RoutingConfig
from modules.routing.service.twap import TwapScheduler


class TwapWorker(Worker):
    def __init__(self, scheduler: TwapScheduler, config: RoutingConfig, metrics: Metrics) -> None:
        super().__init__(
            "routing-twap",
            scheduler.send_due_slices,
            period=config.twap_poll_seconds,
            metrics=metrics,
        )

"""The bars round: each market tick, publish the bars that closed since the last tick."""

from __future__ import annotations

from modules.execution.config import ExecutionConfig
from modules.execution.service.market_data import BarPublisher
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker


def bars_worker(config: ExecutionConfig, metrics: Metrics, publisher: BarPublisher) -> Worker:
    return Worker(
        "execution.bars",
        publisher.publish_closed,
        period=config.market_tick_seconds,
        metrics=metrics,
    )

"""The backtests worker: runs backtests whose history is complete, `backtest_workers` at a time
per replica, woken when the last part of a history arrives here (others find it by polling)."""

from __future__ import annotations

from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker
from modules.strategy.config import StrategyConfig
from modules.strategy.service.backtests import Backtests


def backtests_worker(config: StrategyConfig, metrics: Metrics, backtests: Backtests) -> Worker:
    return Worker(
        "strategy.backtests",
        backtests.run_ready,
        period=config.backtest_poll_seconds,
        metrics=metrics,
    )

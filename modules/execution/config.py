"""Execution's settings: how often its workers run, and how long it waits for vault.

Read from the kernel's `Settings` (`NIJA_MARKET_TICK_SECONDS`, the bus retry budget, the
simulated venues' seed); the rest are fixed defaults.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import msgspec

from modules.kernel.settings import Settings

Timeframe = Literal["1m", "5m", "15m", "1h"]


class ExecutionConfig(msgspec.Struct, frozen=True, kw_only=True):
    # Books, health and reconciliation of ambiguous orders run once a tick.
    market_tick_seconds: float = 1.0
    # Each live account's recent venue orders are listed this often, for orders we never sent.
    sweep_seconds: float = 30.0
    # The first sweep of a process looks this far back.
    sweep_lookback: timedelta = timedelta(hours=1)
    # Orders resting at a venue (limit orders on the book) are looked up this often for fills.
    resting_poll_seconds: float = 10.0
    # A venue's workers look for orders queued by other replicas this often (an order this
    # replica queues nudges its workers at once; the poll costs a statement per venue).
    queue_poll_seconds: float = 1.0
    # Every replica's venue workers spend from one account's token bucket: retry more on a race.
    bucket_attempts: int = 20
    # A credential we have not heard of may still be on its way from vault (another topic,
    # another queue): an order naming it is retried for this long before it is refused.
    credential_grace: timedelta = timedelta(0)
    # Closed bars are published for each venue, listed symbol and each of these timeframes.
    bar_timeframes: tuple[Timeframe, ...] = ("1m", "5m", "15m", "1h")
    # A bars round that fell behind publishes at most this many bars per market and timeframe
    # (the latest); older ones are for `history`.
    bar_catch_up: int = 120


def load_config(settings: Settings) -> ExecutionConfig:
    # Half of the bus's retry budget for one event.
    budget = sum(
        min(settings.bus_retry_base_seconds * 2**i, settings.bus_retry_max_seconds)
        for i in range(max(settings.bus_max_attempts - 1, 0))
    )
    return ExecutionConfig(
        market_tick_seconds=settings.market_tick_seconds,
        queue_poll_seconds=settings.queue_poll_seconds,
        credential_grace=timedelta(seconds=budget / 2),
    )

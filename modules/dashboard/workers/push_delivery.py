"""The loops behind phone pushes: delivery, receipts, daily summaries, price alert refreshes.

Delivery runs every `PUSH_POLL_SECONDS`, and sooner when a queued push falls due (the notifier
wakes it `PUSH_QUIET_SECONDS` after queuing a collapsing push, at once for the others). A
round in flight is never cut short by a shutdown: the push service may have taken its messages,
and only the round's commit records that, so stopping waits for it (bounded) before it cancels.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import modules.dashboard.config as config
from modules.dashboard.service.daily_summary import DailySummaries
from modules.dashboard.service.price_alerts import PriceAlerts
from modules.dashboard.service.push_delivery import PushDelivery
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker

_FINISH_ROUND_SECONDS = 15.0


class ShieldedRounds:
    """Runs each round as its own task, so cancelling the loop leaves a round to finish.

    A wake-up that comes while a round runs (`again`) makes it run once more at once: the loop
    forgets wake-ups that arrive during a round, and the push that caused it would otherwise
    wait for the next period.
    """

    def __init__(self, round_: Callable[[], Awaitable[object]]) -> None:
        self._round = round_
        self._current: asyncio.Task[object] | None = None
        self._again = False

    def again(self) -> None:
        self._again = True

    async def __call__(self) -> object:
        self._current = asyncio.ensure_future(self._rounds())
        return await asyncio.shield(self._current)

    async def _rounds(self) -> object:
        result: object = None
        self._again = True
        while self._again:
            self._again = False
            result = await self._round()
        return result

    async def finish(self) -> None:
        """Wait (bounded) for the round in flight, then cancel it if it still runs."""
        current, self._current = self._current, None
        if current is None or current.done():
            return
        with contextlib.suppress(TimeoutError, Exception):
            await asyncio.wait_for(asyncio.shield(current), _FINISH_ROUND_SECONDS)
        if not current.done():
            current.cancel()
            with contextlib.suppress(BaseException):
                await current


class PushWorkers:
    def __init__(
        self,
        delivery: PushDelivery,
        summaries: DailySummaries,
        alerts: PriceAlerts,
        metrics: Metrics,
    ) -> None:
        self._delivery_rounds = ShieldedRounds(delivery.deliver_due)
        self._receipt_rounds = ShieldedRounds(delivery.check_receipts)
        self.delivery = Worker(
            "dashboard.push-delivery",
            self._delivery_rounds,
            period=lambda: config.PUSH_POLL_SECONDS,
            metrics=metrics,
        )
        self.receipts = Worker(
            "dashboard.push-receipts",
            self._receipt_rounds,
            period=lambda: config.PUSH_RECEIPT_POLL_SECONDS,
            metrics=metrics,
        )
        self.summaries = Worker(
            "dashboard.daily-summary",
            summaries.send_due,
            period=lambda: config.DAILY_SUMMARY_POLL_SECONDS,
            metrics=metrics,
            wait_first=True,
        )
        self.alerts = Worker(
            "dashboard.price-alerts",
            alerts.refresh,
            period=lambda: config.PRICE_ALERT_REFRESH_SECONDS,
            metrics=metrics,
        )
        self._timers: set[asyncio.TimerHandle] = set()

    def wake_delivery(self, delay: float) -> None:
        """Run a delivery round in `delay` seconds (a queued push falls due then)."""
        if delay <= 0:
            self._delivery_rounds.again()
            self.delivery.wake()
            return
        timer: asyncio.TimerHandle | None = None

        def fire() -> None:
            self._timers.discard(timer)
            self._delivery_rounds.again()
            self.delivery.wake()

        # A hair late, so the push is due by the time the round reads the clock.
        timer = asyncio.get_running_loop().call_later(delay + 0.01, fire)
        self._timers.add(timer)

    def start(self) -> None:
        for worker in (self.alerts, self.delivery, self.receipts, self.summaries):
            worker.start()

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for worker in (self.summaries, self.receipts, self.delivery, self.alerts):
            await worker.stop()
        await self._delivery_rounds.finish()
        await self._receipt_rounds.finish()

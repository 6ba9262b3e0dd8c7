"""When a venue's queue workers claim: at once while the queue may hold more, and after a claim
that took all there was, only when woken (an order queued here) or at the poll (one queued by
another replica). Claims are counted with a scripted claim function; no database."""

from __future__ import annotations

import asyncio

from modules.execution.domain.claims import Claimed
from modules.execution.workers.venue_pool import VenuePool
from modules.kernel.metrics import Metrics


class ScriptedQueue:
    """Hands out the scripted claims in turn, then nothing; records every claim."""

    def __init__(self, *claims: Claimed[str]) -> None:
        self._claims = list(claims)
        self.calls = 0
        self.placed: list[str] = []

    async def claim(self, venue: str, skip: list[str], limit: int) -> Claimed[str]:
        self.calls += 1
        return self._claims.pop(0) if self._claims else Claimed(orders=[], cooling={})

    async def run(self, order: str) -> None:
        self.placed.append(order)


def _pool(queue: ScriptedQueue, poll_seconds: float = 30.0) -> VenuePool[str]:
    return VenuePool(
        "sim",
        queue.claim,
        queue.run,
        capacity=lambda: 4,
        metrics=Metrics(),
        poll_seconds=poll_seconds,
    )


async def test_a_claim_that_drained_the_queue_waits_to_be_woken_before_claiming_again() -> None:
    queue = ScriptedQueue(
        Claimed(orders=["a"], cooling={}, drained=True),
        Claimed(orders=["b"], cooling={}, drained=True),
    )
    pool = _pool(queue)
    pool.start()
    try:
        await asyncio.sleep(0.1)
        assert (queue.calls, queue.placed) == (1, ["a"])
        pool.nudge()  # an order was queued here
        await asyncio.sleep(0.1)
        assert (queue.calls, queue.placed) == (2, ["a", "b"])
    finally:
        await pool.stop()


async def test_a_claim_that_left_orders_queued_is_followed_by_another_at_once() -> None:
    queue = ScriptedQueue(
        Claimed(orders=["a"], cooling={}, drained=False),  # e.g. the user's second order
        Claimed(orders=["b"], cooling={}, drained=True),
    )
    pool = _pool(queue)
    pool.start()
    try:
        await asyncio.sleep(0.1)
        assert (queue.calls, queue.placed) == (2, ["a", "b"])
    finally:
        await pool.stop()


async def test_a_drained_queue_is_still_polled_for_what_other_replicas_queue() -> None:
    queue = ScriptedQueue(
        Claimed(orders=["a"], cooling={}, drained=True),
        Claimed(orders=["b"], cooling={}, drained=True),
    )
    pool = _pool(queue, poll_seconds=0.05)
    pool.start()
    try:
        await asyncio.sleep(0.3)
        assert queue.placed == ["a", "b"]
    finally:
        await pool.stop()

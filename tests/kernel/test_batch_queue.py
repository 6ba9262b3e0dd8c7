"""Events submitted together share one write (one outbox
statement), each submit returns once its event is committed, and a bad event fails only its own
submit. A fake outbox records the writes."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest

from modules.kernel.batches import BatchQueue
from modules.kernel.events import IntegrationEvent


class Told(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "test.told.v1"
    n: int


class FakeOutbox:
    """Writes what it is given as one commit (after a round trip, while others queue), unless
    it holds an event numbered `bad`."""

    def __init__(self, bad: int | None = None) -> None:
        self.commits: list[list[int]] = []
        self._bad = bad

    async def write(self, events: list[Told]) -> None:
        await asyncio.sleep(0.01)
        numbers = [event.n for event in events]
        if self._bad in numbers:
            raise RuntimeError("the outbox refused it")
        self.commits.append(numbers)


def _publisher(outbox: FakeOutbox) -> BatchQueue[Told]:
    return BatchQueue(outbox.write, name="test")


async def test_publishes_that_arrive_together_share_one_commit() -> None:
    outbox = FakeOutbox()
    publisher = _publisher(outbox)
    await asyncio.gather(*(publisher.submit(Told(n=n)) for n in range(10)))
    assert outbox.commits == [list(range(10))]


async def test_publishes_arriving_while_a_batch_commits_wait_for_the_next_one() -> None:
    outbox = FakeOutbox()
    publisher = _publisher(outbox)
    first = asyncio.create_task(publisher.submit(Told(n=0)))
    await asyncio.sleep(0.001)  # the first batch is being written
    await asyncio.gather(first, *(publisher.submit(Told(n=n)) for n in range(1, 4)))
    assert outbox.commits == [[0], [1, 2, 3]]


async def test_a_bad_event_fails_its_own_publish_only() -> None:
    outbox = FakeOutbox(bad=2)
    publisher = _publisher(outbox)
    results = await asyncio.gather(
        *(publisher.submit(Told(n=n)) for n in range(4)), return_exceptions=True
    )
    assert [isinstance(r, RuntimeError) for r in results] == [False, False, True, False]
    assert sorted(n for batch in outbox.commits for n in batch) == [0, 1, 3]


async def test_a_cancelled_publish_does_not_cancel_the_batch() -> None:
    outbox = FakeOutbox()
    publisher = _publisher(outbox)
    cancelled = asyncio.create_task(publisher.submit(Told(n=0)))
    kept = asyncio.create_task(publisher.submit(Told(n=1)))
    await asyncio.sleep(0.001)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await kept
    assert outbox.commits == [[0, 1]]

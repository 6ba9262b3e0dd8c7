"""Events published together from tasks with no transaction of their own share one: a batch
is one unit of work (one outbox statement, one commit), each publish returns once its event is
committed, and a bad event fails only its own publish. A fake unit of work records commits."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, ClassVar

import pytest

from modules.kernel.events import IntegrationEvent
from modules.kernel.group_publish import GroupPublish


class Told(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "test.told.v1"
    n: int


class FakeUnitOfWork:
    """Commits what was published unless it holds an event numbered `bad`."""

    def __init__(self, commits: list[list[int]], bad: int | None) -> None:
        self._commits = commits
        self._bad = bad
        self._events: list[int] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        await asyncio.sleep(0.01)  # the transaction's round trips: others queue meanwhile
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None and self._bad in self._events:
            raise RuntimeError("the outbox refused it")
        if kind is None:
            self._commits.append(self._events)

    def publish(self, event: Any) -> None:
        self._events.append(event.n)


def _publisher(commits: list[list[int]], bad: int | None = None) -> GroupPublish:
    return GroupPublish(lambda: FakeUnitOfWork(commits, bad), name="test")  # type: ignore[arg-type, return-value]


async def test_publishes_that_arrive_together_share_one_commit() -> None:
    commits: list[list[int]] = []
    publisher = _publisher(commits)
    await asyncio.gather(*(publisher.publish(Told(n=n)) for n in range(10)))
    assert commits == [list(range(10))]


async def test_publishes_arriving_while_a_batch_commits_wait_for_the_next_one() -> None:
    commits: list[list[int]] = []
    publisher = _publisher(commits)
    first = asyncio.create_task(publisher.publish(Told(n=0)))
    await asyncio.sleep(0.001)  # the first batch is being written
    await asyncio.gather(first, *(publisher.publish(Told(n=n)) for n in range(1, 4)))
    assert commits == [[0], [1, 2, 3]]


async def test_a_bad_event_fails_its_own_publish_only() -> None:
    commits: list[list[int]] = []
    publisher = _publisher(commits, bad=2)
    results = await asyncio.gather(
        *(publisher.publish(Told(n=n)) for n in range(4)), return_exceptions=True
    )
    assert [isinstance(r, RuntimeError) for r in results] == [False, False, True, False]
    assert sorted(n for batch in commits for n in batch) == [0, 1, 3]


async def test_a_cancelled_publish_does_not_cancel_the_batch() -> None:
    commits: list[list[int]] = []
    publisher = _publisher(commits)
    cancelled = asyncio.create_task(publisher.publish(Told(n=0)))
    kept = asyncio.create_task(publisher.publish(Told(n=1)))
    await asyncio.sleep(0.001)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await kept
    assert commits == [[0, 1]]

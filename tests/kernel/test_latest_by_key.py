"""Snapshots written in batches after a linger (execution's balance reports): the newest of
each key only, a submit returns once its batch is written, a failed batch is counted and
dropped."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter

from modules.kernel.batches import LatestByKey


class Writes:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    async def write(self, items: list[str]) -> None:
        await asyncio.sleep(0.005)
        if self.fail:
            raise RuntimeError("the outbox is not there")
        self.batches.append(items)


async def test_snapshots_of_a_moment_share_one_write_and_each_key_keeps_its_newest() -> None:
    writes = Writes()
    latest: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=0.02)
    submits = [latest.submit("alice", f"alice-{n}") for n in range(5)]
    await asyncio.gather(*submits, latest.submit("bob", "bob-0"))
    assert writes.batches == [["alice-4", "bob-0"]], "each submit returned once it was written"

    await latest.submit("alice", "alice-5")
    assert writes.batches[-1] == ["alice-5"], "a later moment is a write of its own"


async def test_a_snapshot_submitted_during_a_write_goes_in_the_next_one() -> None:
    writes = Writes()
    latest: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=0.0)
    first = asyncio.create_task(latest.submit("alice", "alice-0"))
    await asyncio.sleep(0.001)  # the first write is under way
    await latest.submit("alice", "alice-1")
    await first
    assert writes.batches == [["alice-0"], ["alice-1"]]


async def test_a_failed_write_is_counted_and_dropped_and_close_writes_at_once() -> None:
    registry = CollectorRegistry()
    failures = Counter("failures", "failed writes", registry=registry)
    writes = Writes(fail=True)
    latest: LatestByKey[str, str] = LatestByKey(
        writes.write, name="t", linger_seconds=0.0, failures=failures
    )
    await asyncio.wait_for(latest.submit("alice", "alice-0"), 1)  # answered, not raised
    assert registry.get_sample_value("failures_total") == 1
    assert writes.batches == []

    writes.fail = False
    slow: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=60)
    waiting = asyncio.create_task(slow.submit("bob", "bob-0"))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(slow.close(), 1)
    await asyncio.wait_for(waiting, 1)
    assert writes.batches == [["bob-0"]], "closing does not wait out the linger"

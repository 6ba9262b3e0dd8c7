"""Snapshots written in batches after a linger (execution's balance reports): the newest of
each key only, the caller never waits, a failed batch is counted and dropped."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter

from modules.kernel.batches import LatestByKey


class Writes:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self._fail = fail

    async def write(self, items: list[str]) -> None:
        await asyncio.sleep(0.005)
        if self._fail:
            raise RuntimeError("the outbox is not there")
        self.batches.append(items)


async def test_snapshots_of_a_moment_share_one_write_and_each_key_keeps_its_newest() -> None:
    writes = Writes()
    latest: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=0.02)
    for n in range(5):
        latest.submit("alice", f"alice-{n}")
    latest.submit("bob", "bob-0")
    assert writes.batches == [], "submitting does not wait for the write"
    await latest.idle()
    assert writes.batches == [["alice-4", "bob-0"]]

    latest.submit("alice", "alice-5")
    await latest.idle()
    assert writes.batches[-1] == ["alice-5"], "a later moment is a write of its own"


async def test_a_snapshot_submitted_during_a_write_goes_in_the_next_one() -> None:
    writes = Writes()
    latest: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=0.0)
    latest.submit("alice", "alice-0")
    await asyncio.sleep(0.001)  # the first write is under way
    latest.submit("alice", "alice-1")
    await latest.idle()
    assert writes.batches == [["alice-0"], ["alice-1"]]


async def test_a_failed_write_is_counted_and_dropped_and_close_writes_at_once() -> None:
    registry = CollectorRegistry()
    failures = Counter("failures", "failed writes", registry=registry)
    writes = Writes(fail=True)
    latest: LatestByKey[str, str] = LatestByKey(
        writes.write, name="t", linger_seconds=0.0, failures=failures
    )
    latest.submit("alice", "alice-0")
    await latest.idle()
    assert registry.get_sample_value("failures_total") == 1
    assert writes.batches == []

    writes._fail = False
    slow: LatestByKey[str, str] = LatestByKey(writes.write, name="t", linger_seconds=60)
    slow.submit("bob", "bob-0")
    await asyncio.wait_for(slow.close(), 1)
    assert writes.batches == [["bob-0"]], "closing does not wait out the linger"

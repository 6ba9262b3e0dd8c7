"""`LastKnown`: read-modify-write loops skip reading back what this replica last wrote, and a
stale item costs one failed conditional write, never a wrong one (modules/kernel/last_known.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest

from modules.kernel.last_known import LastKnown
from modules.kernel.ports import EtagMismatch, StateItem
from modules.kernel.token_bucket import TokenBucket


class CountingStore:
    """An in-memory state store that counts what it is asked; `tells_etag=False` answers
    writes as Dapr does, without the new etag."""

    def __init__(self, *, tells_etag: bool = True) -> None:
        self.items: dict[str, StateItem] = {}
        self.calls: Counter[str] = Counter()
        self._tells_etag = tells_etag
        self._version = 0

    async def get(self, key: str) -> StateItem | None:
        self.calls["get"] += 1
        return self.items.get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        self.calls["get_many"] += 1
        return {key: self.items[key] for key in keys if key in self.items}

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> str | None:
        self.calls["save"] += 1
        current = self.items.get(key)
        if (create_only and current is not None) or (
            etag is not None and (current is None or current.etag != etag)
        ):
            raise EtagMismatch(key)
        self._version += 1
        self.items[key] = StateItem(key=key, value=value, etag=str(self._version))
        return str(self._version) if self._tells_etag else None

    async def delete(self, key: str, *, etag: str | None = None) -> None:
        self.items.pop(key, None)


async def test_a_busy_key_on_one_replica_costs_one_write_per_take() -> None:
    store = CountingStore()
    bucket = TokenBucket(store, clock=lambda: 1000.0)
    waits = [await bucket.take("order-rate:u1", rate=1.0, burst=5.0) for _ in range(5)]
    assert waits == [0.0] * 5
    # The first take reads the (missing) key; the next four start from their own last write.
    assert store.calls == Counter(get=1, save=5)


async def test_a_key_another_replica_wrote_is_read_again_after_one_failed_write() -> None:
    store = CountingStore()
    mine, theirs = (
        TokenBucket(store, clock=lambda: 1000.0),
        TokenBucket(store, clock=lambda: 1000.0),
    )
    assert await mine.take("k", rate=1.0, burst=3.0) == 0.0
    assert await theirs.take("k", rate=1.0, burst=3.0) == 0.0
    store.calls.clear()
    assert await mine.take("k", rate=1.0, burst=3.0) == 0.0  # the third and last token
    assert store.calls == Counter(save=2, get=1), "stale write refused, read, written"
    # Nothing was spent twice: both replicas together had the burst of three.
    assert await theirs.take("k", rate=1.0, burst=3.0) == pytest.approx(1.0)


async def test_a_store_that_does_not_tell_the_new_etag_is_read_every_time() -> None:
    store = CountingStore(tells_etag=False)
    bucket = TokenBucket(store, clock=lambda: 1000.0)
    for _ in range(3):
        assert await bucket.take("k", rate=1.0, burst=5.0) == 0.0
    assert store.calls == Counter(get=3, save=3)


async def test_it_remembers_a_bounded_number_of_keys_newest_first() -> None:
    store = CountingStore()
    known = LastKnown(store, keys=2)
    for key in ("a", "b", "c"):
        await known.save(key, b"v")
    await known.get("b")
    await known.get("c")
    assert store.calls["get"] == 0
    assert (await known.get("a")) == store.items["a"]  # forgotten: read from the store
    assert store.calls["get"] == 1


async def test_a_delete_forgets_the_key() -> None:
    store = CountingStore()
    known = LastKnown(store)
    await known.save("k", b"v")
    await known.delete("k")
    assert await known.get("k") is None


async def test_concurrent_takes_of_one_key_on_one_replica_write_once_and_share_it() -> None:
    store = CountingStore()
    bucket = TokenBucket(store, clock=lambda: 1000.0, monotonic=lambda: 0.0)
    # A burst of 40 keeps shares of 10: ten takes at once need one write, not ten that
    # collide on the same etag.
    waits = await asyncio.gather(
        *(bucket.take("order-rate:u1", rate=100.0, burst=40.0) for _ in range(10))
    )
    assert waits == [0.0] * 10
    assert store.calls == Counter(get=1, save=1)
    assert bucket._turns == {}, "no lock is kept once nobody takes the key"

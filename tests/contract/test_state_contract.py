"""The `StateStore` contract, run against every adapter (Postgres, Dapr via the fake sidecar).

Keys are unique per test so the shared Postgres table needs no cleaning between tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import pytest

from modules.kernel.ports import EtagMismatch, StateStore
from modules.kernel.token_bucket import TokenBucket

Stores = Callable[[str], StateStore]


def new_key() -> str:
    return f"k-{uuid.uuid4().hex[:12]}"


async def test_missing_key_reads_as_none(state_factory: Stores) -> None:
    assert await state_factory("routing").get(new_key()) is None


async def test_saved_bytes_read_back_with_an_etag(state_factory: Stores) -> None:
    store, key = state_factory("routing"), new_key()
    value = b'{"state": "open"}\x00\xff'
    await store.save(key, value)
    item = await store.get(key)
    assert item is not None
    assert (item.key, item.value) == (key, value)
    assert item.etag


async def test_save_without_etag_overwrites_and_changes_the_etag(state_factory: Stores) -> None:
    store, key = state_factory("execution"), new_key()
    await store.save(key, b"one")
    first = await store.get(key)
    await store.save(key, b"two")
    second = await store.get(key)
    assert first is not None and second is not None
    assert second.value == b"two"
    assert second.etag != first.etag


async def test_a_save_answers_with_the_etag_a_read_shows_or_with_none(
    state_factory: Stores,
) -> None:
    """What `LastKnown` relies on: an etag a write answers with is the stored one."""
    store, key = state_factory("execution"), new_key()
    answers = [await store.save(key, b"one", create_only=True)]
    answers.append(await store.save(key, b"two"))
    read = await store.get(key)
    assert read is not None
    answers.append(await store.save(key, b"three", etag=read.etag))
    after = await store.get(key)
    assert after is not None
    assert answers[-1] in (None, after.etag)
    told = [answer for answer in answers if answer is not None]
    assert told in ([], [*told[:-1], after.etag]), answers
    assert len(set(told)) == len(told), "each write moves the etag"


async def test_write_with_current_etag_wins_and_stale_etag_loses(state_factory: Stores) -> None:
    store, key = state_factory("execution"), new_key()
    await store.save(key, b"v1")
    read = await store.get(key)
    assert read is not None
    await store.save(key, b"v2", etag=read.etag)
    with pytest.raises(EtagMismatch):
        await store.save(key, b"v3-from-a-stale-reader", etag=read.etag)
    current = await store.get(key)
    assert current is not None and current.value == b"v2"


async def test_concurrent_conditional_writers_exactly_one_wins(state_factory: Stores) -> None:
    store, key = state_factory("execution"), new_key()
    await store.save(key, b"closed")
    read = await store.get(key)
    assert read is not None
    results = await asyncio.gather(
        *(store.save(key, f"writer-{n}".encode(), etag=read.etag) for n in range(4)),
        return_exceptions=True,
    )
    losers = [r for r in results if isinstance(r, EtagMismatch)]
    assert len(losers) == 3, results
    assert not any(isinstance(r, BaseException) and r not in losers for r in results)
    current = await store.get(key)
    assert current is not None and current.value.startswith(b"writer-")
    assert [r for r in results if r not in losers] in ([None], [current.etag])


async def test_etag_on_a_missing_key_or_a_garbage_etag_is_a_mismatch(state_factory: Stores) -> None:
    store, key = state_factory("vault"), new_key()
    with pytest.raises(EtagMismatch):
        await store.save(key, b"x", etag="1")
    assert await store.get(key) is None
    await store.save(key, b"x")
    for garbage in ("not-an-etag", ""):
        with pytest.raises(EtagMismatch):
            await store.save(key, b"y", etag=garbage)
    item = await store.get(key)
    assert item is not None and item.value == b"x"


async def test_delete_with_stale_etag_is_refused_and_current_etag_deletes(
    state_factory: Stores,
) -> None:
    store, key = state_factory("dashboard"), new_key()
    await store.save(key, b"v1")
    stale = await store.get(key)
    await store.save(key, b"v2")
    current = await store.get(key)
    assert stale is not None and current is not None
    with pytest.raises(EtagMismatch):
        await store.delete(key, etag=stale.etag)
    assert await store.get(key) is not None
    await store.delete(key, etag=current.etag)
    assert await store.get(key) is None
    with pytest.raises(EtagMismatch):
        await store.delete(key, etag=current.etag)
    await store.delete(key)  # unconditional delete of a missing key is not an error


async def test_each_module_sees_only_its_own_keys(state_factory: Stores) -> None:
    vault, routing, key = state_factory("vault"), state_factory("routing"), new_key()
    await vault.save(key, b"vault's")
    assert await routing.get(key) is None
    await routing.save(key, b"routing's")
    vault_item, routing_item = await vault.get(key), await routing.get(key)
    assert vault_item is not None and vault_item.value == b"vault's"
    assert routing_item is not None and routing_item.value == b"routing's"
    await routing.delete(key)
    assert await routing.get(key) is None
    still = await vault.get(key)
    assert still is not None and still.value == b"vault's"


async def test_create_only_writes_a_new_key_once(state_factory: Stores) -> None:
    store, key = state_factory("routing"), new_key()
    await store.save(key, b"first", create_only=True)
    with pytest.raises(EtagMismatch):
        await store.save(key, b"second", create_only=True)
    item = await store.get(key)
    assert item is not None and item.value == b"first"


async def test_concurrent_creators_exactly_one_wins(state_factory: Stores) -> None:
    store, key = state_factory("routing"), new_key()

    async def create(n: int) -> bool:
        try:
            await store.save(key, str(n).encode(), create_only=True)
        except EtagMismatch:
            return False
        return True

    wins = await asyncio.gather(*(create(n) for n in range(8)))
    assert sum(wins) == 1
    item = await store.get(key)
    assert item is not None and item.value == str(wins.index(True)).encode()


async def test_a_shared_token_bucket_spends_its_burst_once_then_refills(
    state_factory: Stores,
) -> None:
    clock = [1000.0]
    replicas = [TokenBucket(state_factory("execution"), clock=lambda: clock[0]) for _ in range(4)]
    key = new_key()
    # Four replicas take at once from a bucket none of them has created yet.
    waits = await asyncio.gather(
        *(bucket.take(key, rate=2.0, burst=3.0) for bucket in replicas for _ in range(3))
    )
    assert sorted(waits)[:3] == [0.0, 0.0, 0.0]
    assert all(wait is None or wait > 0 for wait in sorted(waits)[3:]), "burst spent once"
    assert await replicas[0].take(key, rate=2.0, burst=3.0) == pytest.approx(0.5)
    clock[0] += 0.5  # two tokens a second: one is back
    assert await replicas[1].take(key, rate=2.0, burst=3.0) == 0.0


async def test_a_busy_bucket_is_spent_in_shares_that_expire(state_factory: Stores) -> None:
    """A take spends a quarter of the burst from the shared bucket at once and serves the next
    takes from memory; two replicas together never spend more than the bucket holds, and a
    share kept longer than the bucket takes to refill it is dropped."""
    clock, ticks = [1000.0], [0.0]
    replicas = [
        TokenBucket(state_factory("execution"), clock=lambda: clock[0], monotonic=lambda: ticks[0])
        for _ in range(2)
    ]
    key = new_key()
    waits = [await replicas[i % 2].take(key, rate=4.0, burst=16.0) for i in range(20)]
    assert waits[:16] == [0.0] * 16, "two replicas share the burst of 16 in shares of 4"
    assert all(wait is not None and wait > 0 for wait in waits[16:])
    # A share's tokens stay good for share / rate = 1 s; later they are gone, not spent.
    clock[0] += 1.0
    assert await replicas[0].take(key, rate=4.0, burst=16.0) == 0.0  # takes a fresh share of 4
    ticks[0] += 1.01
    clock[0] += 0.01
    assert await replicas[0].take(key, rate=4.0, burst=16.0) == pytest.approx(0.96 / 4)


async def test_many_keys_read_in_one_call_as_each_would_read_alone(state_factory: Stores) -> None:
    store, other = state_factory("kernel"), state_factory("routing")
    saved, missing = [new_key() for _ in range(3)], new_key()
    for n, key in enumerate(saved):
        await store.save(key, f"v{n}".encode())
    await other.save(missing, b"another module's key of the same name")
    items = await store.get_many([*saved, missing])
    assert set(items) == set(saved)
    for key in saved:
        alone = await store.get(key)
        assert items[key] == alone
    assert await store.get_many([]) == {}

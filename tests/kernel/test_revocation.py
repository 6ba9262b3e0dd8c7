"""Token revocations: the rule a marker applies, and the per-replica cache in front of the state
store (at most one read per user per second, one read shared by concurrent requests, a replica's
own writes seen at once). No database and no app: an in-memory store that counts its reads."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence

import msgspec
import pytest

from modules.kernel.ports import EtagMismatch, StateItem
from modules.kernel.refusal import Kind, Refused
from modules.kernel.revocation import TokenRevocations, UserRevocation, user_key


class CountingStore:
    """The state port in memory, with etags, counting reads per key."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.items: dict[str, StateItem] = {}
        self.reads: dict[str, int] = {}
        self.bulk_reads: list[int] = []
        self.delay = delay
        self.fail = False
        self._etags = itertools.count(1)

    async def get(self, key: str) -> StateItem | None:
        self.reads[key] = self.reads.get(key, 0) + 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("state store down")
        return self.items.get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        self.bulk_reads.append(len(keys))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("state store down")
        return {key: self.items[key] for key in keys if key in self.items}

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> None:
        current = self.items.get(key)
        if (create_only and current is not None) or (
            etag is not None and (current is None or current.etag != etag)
        ):
            raise EtagMismatch(key)
        self.items[key] = StateItem(key=key, value=value, etag=str(next(self._etags)))

    async def delete(self, key: str, *, etag: str | None = None) -> None:
        self.items.pop(key, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Wall:
    """Epoch milliseconds, moved by hand."""

    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def __call__(self) -> int:
        return self.ms


def _revocations(
    store: CountingStore, clock: Clock | None = None, wall: Wall | None = None, **extra: int
) -> TokenRevocations:
    return TokenRevocations(
        store,
        retain_seconds=960,
        monotonic=clock or Clock(),
        wall_ms=wall or Wall(),
        **extra,  # type: ignore[arg-type]
    )


def _write(store: CountingStore, user: str, marker: UserRevocation) -> None:
    store.items[user_key(user)] = StateItem(
        key=user_key(user), value=msgspec.json.encode(marker), etag="x"
    )


def _code(refusal: Refused | None) -> tuple[Kind, str] | None:
    return (refusal.kind, refusal.code) if refusal is not None else None


# ---- the rule ---------------------------------------------------------------------------------


def test_a_token_issued_at_or_before_the_revocation_is_dead_and_one_after_lives() -> None:
    marker = UserRevocation(before=5_000)
    assert _code(marker.refusal(4_999, None)) == (Kind.UNAUTHENTICATED, "token_revoked")
    assert _code(marker.refusal(5_000, None)) == (Kind.UNAUTHENTICATED, "token_revoked")
    assert marker.refusal(5_001, None) is None
    # A token from before millisecond stamps counts from the start of its second: issued in the
    # revocation's second (iat 5 -> 5000 ms), it dies with it.
    assert marker.refusal(5 * 1000, "s") is not None


def test_a_revoked_session_kills_its_tokens_whenever_they_were_issued() -> None:
    marker = UserRevocation(sessions={"s-1": 10})
    assert _code(marker.refusal(99_999, "s-1")) == (Kind.UNAUTHENTICATED, "token_revoked")
    assert marker.refusal(99_999, "s-2") is None
    assert marker.refusal(99_999, None) is None


def test_a_suspended_user_is_refused_as_suspended_until_reinstated() -> None:
    marker = UserRevocation(before=5_000, suspended=True)
    assert _code(marker.refusal(9_999, None)) == (Kind.FORBIDDEN, "user_suspended")
    lifted = msgspec.structs.replace(marker, suspended=False)
    assert _code(lifted.refusal(4_000, None)) == (Kind.UNAUTHENTICATED, "token_revoked")
    assert lifted.refusal(6_000, None) is None


# ---- the cache --------------------------------------------------------------------------------


async def test_at_most_one_state_read_per_user_per_second() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock)
    for _ in range(50):
        await revocations.check("alice", 1, None)
    assert store.reads == {user_key("alice"): 1}
    clock.now += 0.99
    await revocations.check("alice", 1, None)
    assert store.reads[user_key("alice")] == 1
    clock.now += 0.02  # a second after the read: the next request reads again
    for _ in range(10):
        await revocations.check("alice", 1, None)
    assert store.reads[user_key("alice")] == 2
    await revocations.check("bob", 1, None)
    assert store.reads == {user_key("alice"): 2, user_key("bob"): 1}


async def test_concurrent_requests_of_one_user_share_one_read() -> None:
    store = CountingStore(delay=0.05)
    revocations = _revocations(store)
    await asyncio.gather(*(revocations.check("alice", 1, None) for _ in range(100)))
    assert store.reads == {user_key("alice"): 1}


async def test_a_revocation_written_elsewhere_is_seen_once_the_entry_is_a_second_old() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock)
    await revocations.check("alice", 1_000, None)  # cached: nothing revoked
    _write(store, "alice", UserRevocation(before=2_000))  # another replica signs alice out
    await revocations.check("alice", 1_000, None)  # still the cached answer
    clock.now += 1.0
    with pytest.raises(Refused) as refused:
        await revocations.check("alice", 1_000, None)
    assert refused.value.code == "token_revoked"
    await revocations.check("alice", 2_001, None)  # a token issued after it lives


async def test_this_replicas_own_writes_are_seen_at_once_without_a_read() -> None:
    store, wall = CountingStore(), Wall()
    revocations = _revocations(store, wall=wall)
    token_ms = wall.ms - 1
    await revocations.check("alice", token_ms, "s-1")
    await revocations.revoke_session("alice", "s-1")
    reads = store.reads[user_key("alice")]
    with pytest.raises(Refused):
        await revocations.check("alice", token_ms, "s-1")
    await revocations.check("alice", token_ms, "s-2")
    await revocations.revoke_user("alice")
    with pytest.raises(Refused):
        await revocations.check("alice", token_ms, "s-2")
    await revocations.suspend("alice")
    with pytest.raises(Refused) as suspended:
        await revocations.check("alice", wall.ms + 10, None)
    assert suspended.value.code == "user_suspended"
    await revocations.reinstate("alice")
    await revocations.check("alice", wall.ms + 10, None)
    # Each write read the stored document once (to merge), the checks none.
    assert store.reads[user_key("alice")] == reads + 3


async def test_writes_merge_into_one_document_and_drop_expired_sessions() -> None:
    store, wall = CountingStore(), Wall()
    revocations = _revocations(store, wall=wall)
    await revocations.revoke_session("alice", "old")
    wall.ms += 961_000  # longer than any access token of that session can live
    await revocations.revoke_session("alice", "new")
    await revocations.revoke_user("alice")
    stored = msgspec.json.decode(store.items[user_key("alice")].value, type=UserRevocation)
    assert set(stored.sessions) == {"new"} and stored.before == wall.ms


async def test_reinstating_a_user_with_no_marker_writes_nothing() -> None:
    store = CountingStore()
    await _revocations(store).reinstate("nobody")
    assert store.items == {}


async def test_a_state_store_outage_keeps_the_last_known_answer() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock)
    _write(store, "alice", UserRevocation(before=2_000))
    with pytest.raises(Refused):
        await revocations.check("alice", 1_000, None)
    store.fail = True
    clock.now += 5
    with pytest.raises(Refused):
        await revocations.check("alice", 1_000, None)
    await revocations.check("bob", 1_000, None)  # unknown and unreadable: let through


async def test_the_cache_stays_bounded() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock, max_cached=10)
    for index in range(10):
        await revocations.check(f"user-{index}", 1, None)
    clock.now += 2  # every entry is stale now
    await revocations.check("one-more", 1, None)
    assert len(revocations._cache) == 1


# ---- many users at once (a replica's open sockets) ---------------------------------------------


async def test_many_users_are_read_in_batches_and_fresh_entries_not_at_all() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock)
    _write(store, "user-7", UserRevocation(suspended=True))
    await revocations.check("user-0", 1, None)  # fresh in the cache
    users = [f"user-{n}" for n in range(1_200)]
    markers = await revocations.markers(users, batch=500)
    assert store.bulk_reads == [500, 500, 199]
    assert store.reads == {user_key("user-0"): 1}
    assert markers["user-7"] == UserRevocation(suspended=True)
    assert markers["user-8"] is None and len(markers) == 1_200
    await revocations.markers(users, batch=500)  # all fresh now
    assert store.bulk_reads == [500, 500, 199]
    with pytest.raises(Refused):  # the single-user path sees what the batch read
        await revocations.check("user-7", 1, None)
    assert user_key("user-7") not in store.reads
    clock.now += 1.0
    await revocations.markers(users, batch=500)
    assert store.bulk_reads == [500, 500, 199, 500, 500, 200]


async def test_a_revocation_this_replica_writes_during_a_batch_read_wins() -> None:
    store, wall = CountingStore(delay=0.05), Wall()
    revocations = _revocations(store, wall=wall)
    reading = asyncio.ensure_future(revocations.markers(["alice", "bob"]))
    await asyncio.sleep(0.01)
    store.delay = 0.0  # the batch read is still under way; the suspension is written at once
    await revocations.suspend("alice")
    markers = await reading
    assert markers["alice"] is not None and markers["alice"].suspended
    with pytest.raises(Refused):
        await revocations.check("alice", wall.ms + 10, None)


async def test_a_batch_read_during_an_outage_keeps_the_last_known_answers() -> None:
    store, clock = CountingStore(), Clock()
    revocations = _revocations(store, clock)
    _write(store, "alice", UserRevocation(before=2_000))
    await revocations.markers(["alice"])
    store.fail = True
    clock.now += 5
    markers = await revocations.markers(["alice", "bob"])
    assert markers == {"alice": UserRevocation(before=2_000), "bob": None}

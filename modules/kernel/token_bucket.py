"""A token bucket per key, kept in the state port so every replica spends from the same one.

Each take is a read-modify-write guarded by the item's etag: a concurrent writer makes the save
fail with `EtagMismatch` and the take is retried on the fresh value. A new bucket is created
only if no replica created it meanwhile, or two replicas would each hand out a full burst.

A take spends a *share* of the bucket at once (a quarter of the burst, at least one token) and
keeps the rest in memory for the next takes, so a busy key costs one read and one write per
share instead of per token. A share kept is only good for as long as the bucket takes to refill
it (`share / rate` seconds): tokens a replica holds were taken from the shared bucket, so any
interval sees at most one share more than the bucket itself allows, and a share left unspent
when it expires is lost (stricter, never looser). With a burst under 8 a share is one token:
such buckets behave exactly as without shares.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import msgspec

from modules.kernel.last_known import LastKnown
from modules.kernel.ports import EtagMismatch, StateStore


class _Bucket(msgspec.Struct, frozen=True):
    tokens: float
    at: float


class _Held(msgspec.Struct):
    tokens: int
    until: float  # monotonic


class _Turn:
    """Takes of one key on this replica, one at a time: the lock and who holds or awaits it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


SHARE_OF_BURST = 0.25
# Keys with a share held, beyond which the expired ones are dropped.
_HELD_KEYS_SWEEP = 10_000


class TokenBucket:
    def __init__(
        self,
        store: StateStore,
        *,
        attempts: int = 8,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        share_of_burst: float = SHARE_OF_BURST,
    ) -> None:
        # A take starts from the bucket as this replica last saw it (last_known.py).
        self._store = LastKnown(store)
        self._attempts = attempts
        self._clock = clock
        self._monotonic = monotonic
        self._share_of_burst = share_of_burst
        self._held: dict[str, _Held] = {}
        self._turns: dict[str, _Turn] = {}

    async def take(self, key: str, *, rate: float, burst: float) -> float | None:
        """Spend one of `key`'s tokens (`rate` a second, up to `burst`).

        Returns 0 when a token was spent, else the seconds until one will be there; None when
        the key stayed too contended to tell (the caller decides how long to back off).
        """
        if self._spend_held(key):
            return 0.0
        # This replica's takes of one key go one at a time: concurrent ones would read the
        # same item and all but one fail their write; in turn, the later ones usually find
        # the share the first one kept.
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
        turn.users += 1
        try:
            async with turn.lock:
                if self._spend_held(key):
                    return 0.0
                return await self._take_share(key, rate=rate, burst=burst)
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]  # nobody holds or waits for it: kept only while in use

    def _spend_held(self, key: str) -> bool:
        held = self._held.get(key)
        if held is not None and held.tokens > 0 and self._monotonic() < held.until:
            held.tokens -= 1
            return True
        return False

    async def _take_share(self, key: str, *, rate: float, burst: float) -> float | None:
        share = max(1, int(burst * self._share_of_burst))
        for _ in range(self._attempts):
            item = await self._store.get(key)
            now = self._clock()
            if item is None:
                bucket = _Bucket(burst, now)
            else:
                bucket = msgspec.json.decode(item.value, type=_Bucket)
            # Replicas' clocks differ a little: never refill for time that went backwards.
            tokens = min(burst, bucket.tokens + max(0.0, now - bucket.at) * rate)
            if tokens < 1.0:
                return (1.0 - tokens) / rate if rate > 0 else 1.0
            taken = min(share, int(tokens))
            value = msgspec.json.encode(_Bucket(tokens - taken, max(now, bucket.at)))
            try:
                await self._store.save(
                    key, value, etag=None if item is None else item.etag, create_only=item is None
                )
            except EtagMismatch:
                continue
            self._keep(key, taken - 1, rate)
            return 0.0
        return None

    def _keep(self, key: str, tokens: int, rate: float) -> None:
        if tokens <= 0 or rate <= 0:
            self._held.pop(key, None)
            return
        now = self._monotonic()
        if len(self._held) >= _HELD_KEYS_SWEEP:
            self._held = {k: h for k, h in self._held.items() if h.until > now}
        self._held[key] = _Held(tokens, now + (tokens + 1) / rate)

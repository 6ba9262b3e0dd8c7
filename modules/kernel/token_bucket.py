"""A token bucket per key, kept in the state port so every replica spends from the same one.

Each take is a read-modify-write guarded by the item's etag: a concurrent writer makes the save
fail with `EtagMismatch` and the take is retried on the fresh value. A new bucket is created
only if no replica created it meanwhile, or two replicas would each hand out a full burst.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from modules.kernel.ports import EtagMismatch, StateStore


class _Bucket(msgspec.Struct, frozen=True):
    tokens: float
    at: float


class TokenBucket:
    def __init__(
        self,
        store: StateStore,
        *,
        attempts: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._attempts = attempts
        self._clock = clock

    async def take(self, key: str, *, rate: float, burst: float) -> float | None:
        """Spend one of `key`'s tokens (`rate` a second, up to `burst`).

        Returns 0 when a token was spent, else the seconds until one will be there; None when
        the key stayed too contended to tell (the caller decides how long to back off).
        """
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
            value = msgspec.json.encode(_Bucket(tokens - 1.0, max(now, bucket.at)))
            try:
                await self._store.save(
                    key, value, etag=None if item is None else item.etag, create_only=item is None
                )
            except EtagMismatch:
                continue
            return 0.0
        return None

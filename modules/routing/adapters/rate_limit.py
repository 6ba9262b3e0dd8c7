"""Per-user order rate: a token bucket kept in the state port so every replica shares it.

Each take is a read-modify-write guarded by the item's etag; a concurrent writer makes the save
fail with `EtagMismatch` and the take is retried on the fresh value.
"""

from __future__ import annotations

import math

import msgspec

from modules.kernel.ports import EtagMismatch, StateStore

_ATTEMPTS = 8


class _Bucket(msgspec.Struct, frozen=True):
    tokens: float
    at: float


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.3f}s")
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class TokenBucket:
    def __init__(self, store: StateStore, *, rate: float, burst: int) -> None:
        self._store = store
        self._rate = rate
        self._burst = float(burst)

    async def take(self, key: str, now: float) -> None:
        """Spend one token for `key`, or raise `RateLimited` with the wait until the next one."""
        for _ in range(_ATTEMPTS):
            item = await self._store.get(key)
            bucket = (
                _Bucket(self._burst, now)
                if item is None
                else msgspec.json.decode(item.value, type=_Bucket)
            )
            elapsed = max(0.0, now - bucket.at)
            tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
            if tokens < 1.0:
                raise RateLimited((1.0 - tokens) / self._rate)
            value = msgspec.json.encode(_Bucket(tokens - 1.0, max(now, bucket.at)))
            try:
                await self._store.save(
                    key, value, etag=None if item is None else item.etag, create_only=item is None
                )
            except EtagMismatch:
                continue
            return
        # Heavy contention on one user's bucket is itself a sign of flooding.
        raise RateLimited(1.0 / self._rate)

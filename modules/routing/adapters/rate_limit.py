"""Per-user order rate: the kernel's token bucket, kept in the state port so every replica
shares it, answered as a 429-ready `RateLimited`."""

from __future__ import annotations

import math

from modules.kernel.ports import StateStore
from modules.kernel.token_bucket import TokenBucket


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.3f}s")
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class OrderRate:
    """The per-user order rate over the kernel's shared token bucket."""

    def __init__(self, store: StateStore, *, rate: float, burst: int) -> None:
        self._bucket = TokenBucket(store)
        self._rate = rate
        self._burst = float(burst)

    async def take(self, key: str) -> None:
        """Spend one token for `key`, or raise `RateLimited` with the wait until the next one."""
        wait = await self._bucket.take(key, rate=self._rate, burst=self._burst)
        if wait is None:
            # Heavy contention on one user's bucket is itself a sign of flooding.
            raise RateLimited(1.0 / self._rate)
        if wait > 0:
            raise RateLimited(wait)

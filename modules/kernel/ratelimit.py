"""Per-user API rate limits by tier, shared across replicas through the state port.

Each signed-in user has one fixed one-minute window (`{"w": window start, "n": count}`) in the
state store, counting the requests *granted* to replicas in that window. A replica does not
write per request: it takes a share of the budget at once (one etag-conditional write) and
spends it from memory, taking the next share when it runs out. A user's first share in a window
is one request and each next one twice the last, up to a tenth of the tier's limit, so a busy
user costs a write per 6 requests (basic) and a quiet one holds nothing back. So replicas can
never together serve more than the limit; the error is the other way: a replica's unspent share
is not available to the others (nor after the replica is killed), so with R replicas a user may
be refused up to (R - 1) shares early in a window (none with one replica). Requests without a
valid bearer token are not counted here (they are refused by the handlers, and login has its
own brute-force limits in identity).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler

from modules.kernel.auth import authenticate, needs_principal
from modules.kernel.errors import ProblemError
from modules.kernel.last_known import LastKnown
from modules.kernel.ports import EtagMismatch, StateStore

log = logging.getLogger("nija.ratelimit")

TIER_LIMITS_PER_MINUTE: Mapping[str, int] = {"basic": 60, "pro": 300, "enterprise": 1000}
WINDOW_SECONDS = 60
# A replica's shares of a user's minute budget grow to a tenth of it: one state write per 6
# requests of a busy basic user (per 100 of an enterprise one) instead of one per request.
SHARES_PER_WINDOW = 10
_MAX_ATTEMPTS = 40
# The kernel's own state store (a Dapr component per module, `statestore-kernel` here).
STATE_NAME = "kernel"


class _Window(msgspec.Struct, frozen=True):
    w: int
    n: int


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class _Granted(msgspec.Struct):
    """What this replica was granted of a user's window and has not spent yet, and what the
    window had left for anyone when it was granted (for the count a caller is told)."""

    window: int
    left: int
    granted_rest: int
    size: int = 1  # how many this share was: the next is twice as many


class TierRateLimiter:
    def __init__(
        self,
        store: StateStore,
        clock: Callable[[], datetime],
        limits: Mapping[str, int] = TIER_LIMITS_PER_MINUTE,
        *,
        shares_per_window: int = SHARES_PER_WINDOW,
    ) -> None:
        # A share is taken from the window as this replica last saw it (last_known.py).
        self._store = LastKnown(store)
        self._clock = clock
        self._limits = limits
        self._shares = shares_per_window
        self._held: dict[str, _Granted] = {}
        self._taking: dict[str, asyncio.Lock] = {}
        self._held_window = 0

    def limit_for(self, tier: str) -> int:
        return self._limits.get(tier, self._limits["basic"])

    async def hit(self, user_id: str, tier: str) -> int:
        """Count one request; returns the requests left, or raises `RateLimited`."""
        limit = self.limit_for(tier)
        now = self._clock().timestamp()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        if window != self._held_window:
            # Shares of a past window are worth nothing: forget them all at once.
            self._held, self._taking, self._held_window = {}, {}, window
        while True:
            share = self._held.get(user_id)
            if share is not None and share.left > 0 and share.window == window:
                share.left -= 1
                return share.left + share.granted_rest
            # One take at a time per user: concurrent requests wait for it and spend from it,
            # instead of each taking a share of which only one request would be served.
            taking = self._taking.setdefault(user_id, asyncio.Lock())
            async with taking:
                share = self._held.get(user_id)
                if share is None or share.left == 0 or share.window != window:
                    size = 1 if share is None or share.window != window else share.size * 2
                    self._held[user_id] = await self._take_share(
                        user_id, window, limit, now, min(size, max(1, limit // self._shares))
                    )

    async def _take_share(
        self, user_id: str, window: int, limit: int, now: float, size: int
    ) -> _Granted:
        key = f"ratelimit:user:{user_id}"
        for attempt in range(_MAX_ATTEMPTS):
            item = await self._store.get(key)
            current = msgspec.json.decode(item.value, type=_Window) if item else None
            if current is None or current.w != window:
                current = _Window(w=window, n=0)
            granted = min(size, limit - current.n)
            if granted <= 0:
                raise RateLimited(max(1, math.ceil(window + WINDOW_SECONDS - now)))
            value = msgspec.json.encode(_Window(w=window, n=current.n + granted))
            try:
                # A brand-new key is created only if no replica created it meanwhile.
                await self._store.save(
                    key, value, etag=item.etag if item else None, create_only=item is None
                )
            except EtagMismatch:
                # Jittered back-off so a burst from one user converges instead of colliding.
                await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311
                continue
            rest = limit - current.n - granted
            return _Granted(window=window, left=granted, granted_rest=rest, size=size)
        # Heavy contention on one user's key: let the request through rather than fail it.
        log.warning("rate limit window contended", extra={"user_id": user_id})
        return _Granted(window=window, left=1, granted_rest=0)


async def rate_limit_guard(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-wide guard: 429 with `Retry-After` once a user exceeds their tier's minute budget.

    Only operations that take a principal count: a public one (health, login, refresh) is open
    to anyone without a token, so a token sent along must not make it answer 429 (nor is that
    429 in its OpenAPI).
    """
    if connection.scope["type"] != ScopeType.HTTP or not needs_principal(route_handler):
        return
    try:
        principal = authenticate(connection)
    except ProblemError:
        return  # no or a bad token: the handler's own dependency answers the 401
    state = connection.app.state
    limiter: TierRateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        runtime = state.runtime
        limits = {**TIER_LIMITS_PER_MINUTE, **runtime.settings.api_rate_limits_per_minute}
        limiter = TierRateLimiter(runtime.state(STATE_NAME), lambda: runtime.clock(), limits)
        state.rate_limiter = limiter
    try:
        await limiter.hit(principal.user_id, principal.tier)
    except RateLimited as limited:
        raise ProblemError(
            429,
            "rate_limited",
            f"Your plan allows {limiter.limit_for(principal.tier)} requests a minute; retry later",
            headers={"Retry-After": str(limited.retry_after)},
        ) from None
    except Exception:
        # The limiter must never take the API down with it: a state store outage lets traffic
        # through (logged) instead of answering 500 to every signed-in user.
        log.exception("rate limiter unavailable")

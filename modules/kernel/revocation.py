"""Access-token revocation shared by every replica, without a database read per request.

Access tokens are self-contained, so signing out, a suspension or a password change would leave
them valid until they expire. Identity therefore writes one small document per user into the
kernel's state store (`revoked:user:<user id>`):

- `before`: epoch milliseconds; every token of the user issued at or before it is dead (sign-out
  everywhere, suspension, password change). Tokens carry their issue time in milliseconds
  (`iatm`), so a token minted in the same second as the revocation dies with it while a login a
  moment later lives;
- `suspended`: while set, every token of the user is refused as suspended;
- `sessions`: session id -> when it was revoked; every token of that session is dead. Entries
  are dropped once every token they could concern has expired.

One document per user means one state read per user answers every question about a token. Each
replica keeps the documents it read for at most `refresh_seconds` (1 s), so a revocation made
anywhere is honoured everywhere within about a second, and a replica reads the store at most
once per user per second however many requests that user sends. Concurrent requests of a user
whose entry is stale share one read. A replica that writes a revocation sees it at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable

import msgspec

from modules.kernel.ports import EtagMismatch, StateItem, StateStore
from modules.kernel.refusal import Kind, Refused

log = logging.getLogger("nija.revocation")

# The kernel's own state store: identity writes here through this file, the kernel reads.
STATE_NAME = "kernel"
REFRESH_SECONDS = 1.0
_MAX_ATTEMPTS = 20


def user_key(user_id: str) -> str:
    return f"revoked:user:{user_id}"


class UserRevocation(msgspec.Struct, frozen=True, omit_defaults=True):
    """What is revoked of one user's tokens (the stored document)."""

    before: int = 0
    suspended: bool = False
    sessions: dict[str, int] = {}

    def refusal(self, issued_at_ms: int, session_id: str | None) -> Refused | None:
        """Why a token of this user, issued at `issued_at_ms` in `session_id`, is refused."""
        if self.suspended:
            return Refused(
                Kind.FORBIDDEN, "user_suspended", "This account is suspended; contact support"
            )
        if issued_at_ms <= self.before or (session_id is not None and session_id in self.sessions):
            return Refused(
                Kind.UNAUTHENTICATED,
                "token_revoked",
                "The access token was revoked; sign in again",
            )
        return None


def _decode(item: StateItem | None) -> UserRevocation | None:
    return msgspec.json.decode(item.value, type=UserRevocation) if item is not None else None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class TokenRevocations:
    """Writer (identity's use cases) and cached reader (the auth guard, the dashboard socket)."""

    def __init__(
        self,
        store: StateStore,
        *,
        retain_seconds: float,
        refresh_seconds: float = REFRESH_SECONDS,
        max_cached: int = 50_000,
        monotonic: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._retain_ms = int(retain_seconds * 1000)
        self._refresh = refresh_seconds
        self._max_cached = max_cached
        self._monotonic = monotonic
        self._wall_ms = wall_ms
        self._cache: dict[str, tuple[float, UserRevocation | None]] = {}
        self._loading: dict[str, asyncio.Task[UserRevocation | None]] = {}

    # Reading --------------------------------------------------------------------------------
    async def check(self, user_id: str, issued_at_ms: int, session_id: str | None) -> None:
        """Raise `Refused` (401 token_revoked, or 403 user_suspended) for a dead token."""
        marker = await self.marker(user_id)
        refusal = marker.refusal(issued_at_ms, session_id) if marker is not None else None
        if refusal is not None:
            raise refusal

    async def marker(self, user_id: str) -> UserRevocation | None:
        """The user's revocations as this replica knows them, at most `refresh_seconds` old."""
        cached = self._cache.get(user_id)
        if cached is not None and self._monotonic() - cached[0] < self._refresh:
            return cached[1]
        loading = self._loading.get(user_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(user_id, cached))
            self._loading[user_id] = loading
        # Shielded: a caller that goes away must not cancel the read others are waiting for.
        return await asyncio.shield(loading)

    async def markers(
        self, user_ids: Iterable[str], *, batch: int = 500
    ) -> dict[str, UserRevocation | None]:
        """Many users' revocations at once (every open socket of a replica, say): fresh ones
        from the cache, the stale ones read `batch` users per state call, not one call each."""
        now = self._monotonic()
        found: dict[str, UserRevocation | None] = {}
        stale: list[str] = []
        for user_id in user_ids:
            cached = self._cache.get(user_id)
            if cached is not None and now - cached[0] < self._refresh:
                found[user_id] = cached[1]
            else:
                stale.append(user_id)
        for start in range(0, len(stale), batch):
            found.update(await self._load_many(stale[start : start + batch]))
        return found

    async def _load_many(self, user_ids: list[str]) -> dict[str, UserRevocation | None]:
        known = {user_id: self._cache.get(user_id) for user_id in user_ids}
        started = self._monotonic()
        try:
            items = await self._store.get_many([user_key(user_id) for user_id in user_ids])
            read = {user_id: _decode(items.get(user_key(user_id))) for user_id in user_ids}
        except Exception:
            log.warning("revocation state unavailable", exc_info=True)
            read = {user_id: entry[1] if entry else None for user_id, entry in known.items()}
        for user_id, marker in read.items():
            current = self._cache.get(user_id)
            if current is known[user_id]:
                self._remember(user_id, marker, started)
            elif current is not None:
                read[user_id] = current[1]  # this replica wrote one while the read was under way
        return read

    async def _load(
        self, user_id: str, cached: tuple[float, UserRevocation | None] | None
    ) -> UserRevocation | None:
        started = self._monotonic()
        try:
            marker = _decode(await self._store.get(user_key(user_id)))
        except Exception:
            # An outage of the state store must not take every signed-in request down with it:
            # keep what was known (retried after the refresh interval) and say so in the log.
            log.warning("revocation state unavailable", exc_info=True)
            marker = cached[1] if cached is not None else None
        finally:
            self._loading.pop(user_id, None)
        # A revocation this replica wrote while the read was under way is newer: keep it.
        if self._cache.get(user_id) is cached:
            self._remember(user_id, marker, started)
        return marker

    def _remember(self, user_id: str, marker: UserRevocation | None, at: float) -> None:
        if len(self._cache) >= self._max_cached and user_id not in self._cache:
            now = self._monotonic()
            for key in [k for k, (t, _) in self._cache.items() if now - t >= self._refresh]:
                del self._cache[key]
            if len(self._cache) >= self._max_cached:
                self._cache.clear()  # every entry is fresh: a re-read costs one read per user
        self._cache[user_id] = (at, marker)

    # Writing (identity) ---------------------------------------------------------------------
    async def revoke_user(self, user_id: str) -> None:
        """Every token of the user issued until now is dead (sign-out everywhere, new password)."""
        now = self._wall_ms()
        await self._update(user_id, lambda m: msgspec.structs.replace(m, before=max(m.before, now)))

    async def revoke_session(self, user_id: str, session_id: str) -> None:
        """Every token of one session is dead (revoked, logged out, or its refresh token reused)."""
        now = self._wall_ms()
        await self._update(
            user_id,
            lambda m: msgspec.structs.replace(m, sessions={**m.sessions, session_id: now}),
        )

    async def suspend(self, user_id: str) -> None:
        """Refuse every token of the user while suspended; none issued before revives later."""
        now = self._wall_ms()
        await self._update(
            user_id,
            lambda m: msgspec.structs.replace(m, before=max(m.before, now), suspended=True),
        )

    async def reinstate(self, user_id: str) -> None:
        """Lift the suspension (tokens issued before it stay dead: the user signs in again)."""
        await self._update(
            user_id, lambda m: msgspec.structs.replace(m, suspended=False), create=False
        )

    async def _update(
        self,
        user_id: str,
        change: Callable[[UserRevocation], UserRevocation],
        *,
        create: bool = True,
    ) -> None:
        key = user_key(user_id)
        for _ in range(_MAX_ATTEMPTS):
            item = await self._store.get(key)
            if item is None and not create:
                return
            current = msgspec.json.decode(item.value, type=UserRevocation) if item else None
            updated = self._pruned(change(current or UserRevocation()))
            try:
                await self._store.save(
                    key,
                    msgspec.json.encode(updated),
                    etag=item.etag if item else None,
                    create_only=item is None,
                )
            except EtagMismatch:
                continue
            self._cache[user_id] = (self._monotonic(), updated)
            return
        raise EtagMismatch(key)

    def _pruned(self, marker: UserRevocation) -> UserRevocation:
        """Without the session entries whose tokens have all expired."""
        oldest = self._wall_ms() - self._retain_ms
        live = {sid: at for sid, at in marker.sessions.items() if at >= oldest}
        return (
            marker
            if len(live) == len(marker.sessions)
            else msgspec.structs.replace(marker, sessions=live)
        )

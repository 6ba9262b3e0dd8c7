"""A state store for read-modify-write loops: each key's last known item is kept in memory.

The token buckets and the API budget read a key, compute, and write it back only if its etag
has not moved (`EtagMismatch` sends them round again). This replica's own last write is usually
still the stored item, so reading it back is a round trip spent learning what is already known:
here a `get` answers from the item this replica last read or wrote. A stale answer cannot do
harm: the conditional write built on it fails (another replica wrote since), the key is
forgotten, and the loop's next `get` reads the store. A busy key on one replica costs one
statement per take instead of two; with replicas taking turns on one key, a take costs one
failed write more.

Only callers that write back conditionally may use it: a plain reader would be told an old
value. Stores that do not answer a write with its new etag (Dapr) are read again after every
write.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.kernel.ports import EtagMismatch, StateItem, StateStore

# Keys remembered at most; the oldest remembered are forgotten first.
DEFAULT_KEYS = 10_000


class LastKnown:
    def __init__(self, store: StateStore, *, keys: int = DEFAULT_KEYS) -> None:
        self._store = store
        self._keys = keys
        self._known: dict[str, StateItem] = {}

    async def get(self, key: str) -> StateItem | None:
        known = self._known.get(key)
        if known is not None:
            return known
        item = await self._store.get(key)
        if item is not None:
            self._remember(item)
        return item

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        items = await self._store.get_many(keys)
        for item in items.values():
            self._remember(item)
        return items

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> str | None:
        try:
            stored = await self._store.save(key, value, etag=etag, create_only=create_only)
        except EtagMismatch:
            self._known.pop(key, None)
            raise
        if stored is None:
            self._known.pop(key, None)
        else:
            self._remember(StateItem(key=key, value=value, etag=stored))
        return stored

    async def delete(self, key: str, *, etag: str | None = None) -> None:
        self._known.pop(key, None)
        await self._store.delete(key, etag=etag)

    def _remember(self, item: StateItem) -> None:
        self._known.pop(item.key, None)  # re-inserted last: the newest known
        if len(self._known) >= self._keys:
            del self._known[next(iter(self._known))]
        self._known[item.key] = item

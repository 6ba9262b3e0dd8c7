"""State port on PostgreSQL: `kernel.state`, etags as a version counter, keys prefixed per module.

Mirrors the Dapr state API: a save or delete that carries an etag succeeds only if the stored
etag still matches (first-write-wins); one without an etag is last-write-wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from modules.kernel.db import Database
from modules.kernel.ports import EtagMismatch, StateItem


class PostgresStateStore:
    def __init__(self, db: Database, prefix: str) -> None:
        self._db = db
        self._prefix = f"{prefix}||"

    def _key(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> StateItem | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT value, etag FROM kernel.state WHERE key = $1", self._key(key)
            )
        if row is None:
            return None
        return StateItem(key=key, value=bytes(row["value"]), etag=str(row["etag"]))

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        if not keys:
            return {}
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT key, value, etag FROM kernel.state WHERE key = ANY($1::text[])",
                [self._key(key) for key in keys],
            )
        cut = len(self._prefix)
        items = (
            StateItem(key=row["key"][cut:], value=bytes(row["value"]), etag=str(row["etag"]))
            for row in rows
        )
        return {item.key: item for item in items}

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> str | None:
        async with self._db.connection() as conn:
            if create_only:
                stored = await conn.fetchval(
                    "INSERT INTO kernel.state (key, value, etag) VALUES ($1, $2, 1) "
                    "ON CONFLICT (key) DO NOTHING RETURNING etag",
                    self._key(key),
                    value,
                )
            elif etag is None:
                stored = await conn.fetchval(
                    "INSERT INTO kernel.state (key, value, etag) VALUES ($1, $2, 1) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, "
                    "etag = kernel.state.etag + 1 RETURNING etag",
                    self._key(key),
                    value,
                )
            else:
                stored = await conn.fetchval(
                    "UPDATE kernel.state SET value = $2, etag = etag + 1 "
                    "WHERE key = $1 AND etag = $3 RETURNING etag",
                    self._key(key),
                    value,
                    _etag_number(etag),
                )
        if stored is None:
            raise EtagMismatch(key)
        return str(stored)

    async def delete(self, key: str, *, etag: str | None = None) -> None:
        async with self._db.connection() as conn:
            if etag is None:
                await conn.execute("DELETE FROM kernel.state WHERE key = $1", self._key(key))
                return
            status = await conn.execute(
                "DELETE FROM kernel.state WHERE key = $1 AND etag = $2",
                self._key(key),
                _etag_number(etag),
            )
        if status.endswith(" 0"):
            raise EtagMismatch(key)


def _etag_number(etag: str) -> int:
    try:
        return int(etag)
    except ValueError:
        raise EtagMismatch(etag) from None

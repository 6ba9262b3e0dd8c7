"""Writes of positions (cycles) and of the heads that say how far each is folded.

A position's head row is locked first by whoever folds its steps, so two folds of the same
position (two batches, two replicas) run one after the other.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.positions import Cycle

_CYCLE_FIELDS = tuple(Cycle.__struct_fields__)
_IDENTITY = ("position_id", "user_id", "venue", "symbol")
_COLUMNS = (*_IDENTITY, *_CYCLE_FIELDS, "revision")
_TYPES = {
    "open_version": "int",
    "last_version": "int",
    "close_version": "int",
    "opened_at": "timestamptz",
    "closed_at": "timestamptz",
    "side": "text",
    "status": "text",
    "revision": "int",
}
# The cycles from `since` on replaced, and the head moved to the last step folded, in one
# statement (run under the head's lock). The insert waits for the delete (its one-time filter
# reads `old` to the end first), so a cycle written again under the same key does not collide
# with the row it replaces. Column names come from Cycle's own fields, never from input.
_FIXED = 4  # $1 position, $2 since, $3 last version (NULL: no step), $4 its quantity
_REPLACE = (
    "WITH old AS (DELETE FROM dashboard.positions WHERE position_id = $1 "  # noqa: S608
    "AND open_version >= $2 RETURNING *), "
    "head AS (UPDATE dashboard.position_heads SET last_version = $3, last_quantity = $4 "
    "WHERE position_id = $1 AND $3::int IS NOT NULL AND last_version < $3), "
    f"added AS (INSERT INTO dashboard.positions ({', '.join(_COLUMNS)}) "
    "SELECT * FROM unnest("
    + ", ".join(
        f"${i + 1 + _FIXED}::{_TYPES.get(c, 'text' if c in _IDENTITY else 'numeric')}[]"
        for i, c in enumerate(_COLUMNS)
    )
    + ") WHERE (SELECT count(*) FROM old) >= 0) "
    "SELECT * FROM old"
)


class Head(msgspec.Struct, frozen=True, kw_only=True):
    last_version: int
    last_quantity: Decimal
    revision: int


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    position_id: str
    user_id: str
    venue: str
    symbol: str


def cycle(row: Any) -> Cycle:
    return msgspec.convert({name: row[name] for name in _CYCLE_FIELDS}, Cycle)


class PositionRepository:
    async def lock_head(self, conn: asyncpg.Connection, position: Identity) -> Head:
        """The head, created on the position's first step, locked until commit; its revision
        moves on, as every fold changes what the position's pushes say."""
        row = await conn.fetchrow(
            "INSERT INTO dashboard.position_heads (position_id, user_id, revision) "
            "VALUES ($1, $2, 1) ON CONFLICT (position_id) DO UPDATE "
            "SET revision = position_heads.revision + 1 "
            "RETURNING last_version, last_quantity, revision",
            position.position_id,
            position.user_id,
        )
        return msgspec.convert(dict(row), Head)

    async def latest(self, conn: asyncpg.Connection, position_id: str) -> Cycle | None:
        row = await conn.fetchrow(
            "SELECT * FROM dashboard.positions WHERE position_id = $1 "
            "ORDER BY open_version DESC LIMIT 1",
            position_id,
        )
        return None if row is None else cycle(row)

    async def refold_start(self, conn: asyncpg.Connection, position_id: str, before: int) -> int:
        """Where to fold again for a step `before` that came late: the opening of the cycle
        it follows, or 0 (the first step) when no cycle opened before it."""
        start = await conn.fetchval(
            "SELECT max(open_version) FROM dashboard.positions "
            "WHERE position_id = $1 AND open_version < $2",
            position_id,
            before,
        )
        return int(start or 0)

    async def replace(
        self,
        conn: asyncpg.Connection,
        position: Identity,
        since: int,
        cycles: list[Cycle],
        revision: int,
        last_step: tuple[int, Decimal] | None,
    ) -> list[Cycle]:
        """Put `cycles` in place of the position's cycles opened from `since` on, and move the
        head to `last_step` (version, quantity) when the fold had steps; the cycles replaced
        (what the daily figures counted of them is taken back by the caller)."""
        identity = [[getattr(position, name)] * len(cycles) for name in _IDENTITY]
        fields = [[getattr(c, name) for c in cycles] for name in _CYCLE_FIELDS]
        version, quantity = last_step if last_step is not None else (None, None)
        old = await conn.fetch(
            _REPLACE,
            position.position_id,
            since,
            version,
            quantity,
            *identity,
            *fields,
            [revision] * len(cycles),
        )
        return [cycle(row) for row in old]

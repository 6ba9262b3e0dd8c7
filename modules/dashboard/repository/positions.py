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
# Several positions' cycles from their own `since` on replaced, and each head moved to its last
# step folded, in one statement (run under the heads' locks). The insert waits for the delete
# (its one-time filter reads `old` to the end first), so a cycle written again under the same
# key does not collide with the row it replaces. Column names come from Cycle's own fields.
_FIXED = 4  # per position: $1 id, $2 since, $3 last version (NULL: no step), $4 its quantity
_REPLACE = (
    "WITH target AS (SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::numeric[]) "  # noqa: S608 - names from Cycle
    "AS t(position_id, since, last_version, last_quantity)), "
    "old AS (DELETE FROM dashboard.positions p USING target t "
    "WHERE p.position_id = t.position_id AND p.open_version >= t.since RETURNING p.*), "
    "head AS (UPDATE dashboard.position_heads h SET last_version = t.last_version, "
    "last_quantity = t.last_quantity FROM target t WHERE h.position_id = t.position_id "
    "AND t.last_version IS NOT NULL AND h.last_version < t.last_version), "
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


class Replacement(msgspec.Struct, frozen=True, kw_only=True):
    """A position's cycles from `since` on, and its last step folded (version, quantity)."""

    position: Identity
    since: int
    cycles: list[Cycle]
    revision: int
    last_step: tuple[int, Decimal] | None


class PositionRepository:
    async def lock_heads(
        self, conn: asyncpg.Connection, positions: list[Identity]
    ) -> dict[str, Head]:
        """The heads, created on a position's first step, locked until commit in position id
        order (as every fold takes them); each revision moves on, as every fold changes what
        the position's pushes say."""
        ordered = sorted(positions, key=lambda p: p.position_id)
        rows = await conn.fetch(
            "INSERT INTO dashboard.position_heads (position_id, user_id, revision) "
            "SELECT p, u, 1 FROM unnest($1::text[], $2::text[]) AS h(p, u) ORDER BY p "
            "ON CONFLICT (position_id) DO UPDATE SET revision = position_heads.revision + 1 "
            "RETURNING position_id, last_version, last_quantity, revision",
            [p.position_id for p in ordered],
            [p.user_id for p in ordered],
        )
        return {
            row["position_id"]: Head(
                last_version=row["last_version"],
                last_quantity=row["last_quantity"],
                revision=row["revision"],
            )
            for row in rows
        }

    async def latest(self, conn: asyncpg.Connection, position_ids: list[str]) -> dict[str, Cycle]:
        """Each position's newest cycle (none for a position with no cycle yet)."""
        rows = await conn.fetch(
            "SELECT DISTINCT ON (position_id) * FROM dashboard.positions "
            "WHERE position_id = ANY($1::text[]) ORDER BY position_id, open_version DESC",
            position_ids,
        )
        return {row["position_id"]: cycle(row) for row in rows}

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
        self, conn: asyncpg.Connection, replacements: list[Replacement]
    ) -> dict[str, list[Cycle]]:
        """Put each position's cycles in place of those it opened from its `since` on, and
        move its head to its last step when the fold had steps; by position, the cycles
        replaced (what the daily figures counted of them is taken back by the caller)."""
        heads = [
            (r.position.position_id, r.since, *(r.last_step or (None, None))) for r in replacements
        ]
        written = [(r.position, c, r.revision) for r in replacements for c in r.cycles]
        identity = [[getattr(p, name) for p, _, _ in written] for name in _IDENTITY]
        fields = [[getattr(c, name) for _, c, _ in written] for name in _CYCLE_FIELDS]
        old = await conn.fetch(
            _REPLACE,
            *([head[n] for head in heads] for n in range(_FIXED)),
            *identity,
            *fields,
            [revision for _, _, revision in written],
        )
        replaced: dict[str, list[Cycle]] = {r.position.position_id: [] for r in replacements}
        for row in sorted(old, key=lambda row: (row["position_id"], row["open_version"])):
            replaced[row["position_id"]].append(cycle(row))
        return replaced

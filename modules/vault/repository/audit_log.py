"""The append-only audit log and its chain head (the hashes: domain/audit_chain.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from modules.vault.domain.audit_chain import (
    AuditDraft,
    AuditRow,
    ChainHead,
    chain,
    stored_details,
)
from modules.vault.tables import AuditEntry, AuditHead


def _audit_row(row: Mapping[str, Any]) -> AuditRow:
    return msgspec.convert({**row, "details": stored_details(row["details"])}, AuditRow)


# The head, locked, with the time of its entry. That time is kept on the head row: a statement
# that waited for the lock sees the locked row as its holder left it but every other table as it
# was before, so a time joined from the log would be the previous entry's.
_LOCK_HEAD = (
    "SELECT last_id, last_hash, length, last_at, last_at_id FROM vault.audit_head "
    "WHERE id = 1 FOR UPDATE"
)
# Only when the head's time is not its last entry's: a replica of an earlier release appended
# last (it moves the head but not the time).
_LAST_AT = "SELECT at FROM vault.audit_log WHERE id = {}"
# The entries and the new head in one statement. The table's sequence is kept at the head's
# last id: a replica of an earlier release (during a rolling upgrade) draws its ids from it.
_APPEND = """
WITH drawn AS (
    SELECT setval(pg_get_serial_sequence('vault.audit_log', 'id'), {}) AS last_id
), entries AS (
    INSERT INTO vault.audit_log
           (id, user_id, action, credential_id, venue, at, actor_id, details, prev_hash, hash)
    SELECT i, u, a, c::uuid, v, t, w, d::jsonb, p, h
      FROM unnest({}::bigint[], {}::text[], {}::text[], {}::text[], {}::text[],
                  {}::timestamptz[], {}::text[], {}::text[], {}::text[], {}::text[])
           AS x(i, u, a, c, v, t, w, d, p, h)
)
UPDATE vault.audit_head
   SET last_id = drawn.last_id, last_hash = {}, length = length + {},
       last_at = {}, last_at_id = drawn.last_id
  FROM drawn WHERE id = 1
"""


class AuditLogRepository:
    async def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRow]:
        """Append entries in the given order; the head row lock orders appends into one chain.

        Appending many under one lock and one transaction is what lets a burst of unseals (one
        per order placed) go through without every writer queueing on the head row. Two
        statements however many entries: the head locked (with its entry's time), then the
        entries and the new head. Ids continue the head's: appends are serialised by its lock,
        so they are the chain's order with no gap.
        """
        if not drafts:
            return []
        head, last_at = await self._lock_head()
        ids = list(range(head.last_id + 1, head.last_id + 1 + len(drafts)))
        appended = chain(drafts, ids, head.last_hash, last_at)
        await AuditEntry.raw(
            _APPEND,
            appended[-1].id,
            [row.id for row in appended],
            [row.user_id for row in appended],
            [row.action for row in appended],
            [None if row.credential_id is None else str(row.credential_id) for row in appended],
            [row.venue for row in appended],
            [row.at for row in appended],
            [row.actor_id for row in appended],
            [json.dumps(row.details, sort_keys=True) for row in appended],
            [row.prev_hash for row in appended],
            [row.hash for row in appended],
            appended[-1].hash,
            len(appended),
            appended[-1].at,
        )
        return appended

    async def _lock_head(self) -> tuple[ChainHead, datetime | None]:
        """The chain head, row-locked until the transaction ends (created for an empty log),
        and the time of its last entry."""
        rows = await AuditHead.raw(_LOCK_HEAD)
        if not rows:
            # An empty log (fresh database): start the chain. If rows did exist, the next
            # entry's empty prev_hash will not match them and verification reports it.
            await AuditHead.insert(AuditHead(id=1, last_id=0, last_hash="", length=0)).on_conflict(
                action="DO NOTHING"
            )
            rows = await AuditHead.raw(_LOCK_HEAD)
        if not rows:  # pragma: no cover - inserted just above
            raise RuntimeError("audit chain head is missing")
        head = _head(rows[0])
        if head.last_id == 0:
            return head, None
        if rows[0]["last_at_id"] == head.last_id:
            return head, rows[0]["last_at"]
        last = await AuditEntry.raw(_LAST_AT, head.last_id)
        return head, last[0]["at"] if last else None

    async def head(self) -> ChainHead:
        head = await AuditHead.select().where(AuditHead.id == 1).first()
        return _head(head) if head else ChainHead()

    async def entries_after(self, after_id: int, batch: int) -> list[AuditRow]:
        """Up to `batch` entries with ids above `after_id`, in chain order."""
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(batch)
        )
        return [_audit_row(row) for row in rows]


def _head(row: Mapping[str, Any]) -> ChainHead:
    return ChainHead(
        last_id=int(row["last_id"]), last_hash=str(row["last_hash"]), length=int(row["length"])
    )

"""The append-only audit log and its chain head (the hashes: domain/audit_chain.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


class AuditLogRepository:
    async def append(self, drafts: Sequence[AuditDraft]) -> list[AuditRow]:
        """Append entries in the given order; the head row lock orders appends into one chain.

        Appending many under one lock and one transaction is what lets a burst of unseals (one
        per order placed) go through without every writer queueing on the head row.
        """
        if not drafts:
            return []
        head = await self._lock_head()
        # Ids are drawn first so each row is written once, hash included: the table refuses
        # UPDATE (append-only trigger).
        drawn = await AuditEntry.raw(
            "SELECT nextval(pg_get_serial_sequence('vault.audit_log', 'id')) AS id "
            "FROM generate_series(1, {})",
            len(drafts),
        )
        ids = sorted(int(row["id"]) for row in drawn)
        last = await AuditEntry.select(AuditEntry.at).where(AuditEntry.id == head.last_id)
        appended = chain(drafts, ids, head.last_hash, last[0]["at"] if last else None)
        await AuditEntry.insert(
            *(
                AuditEntry(
                    id=row.id,
                    user_id=row.user_id,
                    action=row.action,
                    credential_id=row.credential_id,
                    venue=row.venue,
                    at=row.at,
                    actor_id=row.actor_id,
                    details=json.dumps(row.details, sort_keys=True),
                    prev_hash=row.prev_hash,
                    hash=row.hash,
                )
                for row in appended
            )
        )
        await AuditHead.update(
            {
                AuditHead.last_id: appended[-1].id,
                AuditHead.last_hash: appended[-1].hash,
                AuditHead.length: AuditHead.length + len(appended),
            }
        ).where(AuditHead.id == 1)
        return appended

    async def _lock_head(self) -> ChainHead:
        """The chain head, row-locked until the transaction ends; created for an empty log."""
        head = await AuditHead.select().where(AuditHead.id == 1).lock_rows("UPDATE").first()
        if head is None:
            # An empty log (fresh database): start the chain. If rows did exist, the next
            # entry's empty prev_hash will not match them and verification reports it.
            await AuditHead.insert(AuditHead(id=1, last_id=0, last_hash="", length=0)).on_conflict(
                action="DO NOTHING"
            )
            head = await AuditHead.select().where(AuditHead.id == 1).lock_rows("UPDATE").first()
        if head is None:  # pragma: no cover - inserted just above
            raise RuntimeError("audit chain head is missing")
        return _head(head)

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

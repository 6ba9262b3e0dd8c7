"""The audit log's hash chain: each entry's hash covers the previous hash and the entry itself.

Altering, removing or reordering an entry breaks every later link, and the chain head (the last
id, hash and length) catches entries cut off the end. Appending and checking are pure here; the
repository stores what `chain` returns and feeds `ChainCheck` what it reads back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec


class AuditDraft(msgspec.Struct, frozen=True, kw_only=True):
    """An audit entry before it has its place (id and hashes) in the chain."""

    user_id: str
    action: str
    at: datetime
    credential_id: uuid.UUID | None = None
    venue: str | None = None
    actor_id: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class AuditRow(msgspec.Struct, frozen=True, kw_only=True):
    """An entry in its place in the chain."""

    id: int
    user_id: str
    action: str
    credential_id: uuid.UUID | None
    venue: str | None
    at: datetime
    actor_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ChainHead(msgspec.Struct, frozen=True, kw_only=True):
    """What the chain's head row records: its last entry and its length."""

    last_id: int = 0
    last_hash: str = ""
    length: int = 0


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str | None


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON (sorted keys, UTC time)."""
    at: datetime = entry["at"]
    credential_id = entry.get("credential_id")
    canonical = json.dumps(
        {
            "id": int(entry["id"]),
            "user_id": entry["user_id"],
            "action": entry["action"],
            "credential_id": str(credential_id) if credential_id is not None else None,
            "venue": entry.get("venue"),
            "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_id": entry.get("actor_id"),
            "details": entry.get("details") or {},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def chain(
    drafts: Sequence[AuditDraft],
    ids: Sequence[int],
    previous_hash: str,
    previous_at: datetime | None,
) -> list[AuditRow]:
    """The drafts linked after the entry with `previous_hash`, taking `ids` in order.

    Writers stamp their drafts before they reach the chain's head, so the chain's order and the
    clock's can disagree by a hair; an entry is never dated before the one it follows (it is
    moved a microsecond after it), so a time range of the log is also a stretch of the chain.
    """
    linked: list[AuditRow] = []
    for new_id, draft in zip(ids, drafts, strict=True):
        at = draft.at
        if previous_at is not None and at <= previous_at:
            at = previous_at + timedelta(microseconds=1)
        values = {**msgspec.structs.asdict(draft), "id": new_id, "at": at}
        digest = entry_hash(previous_hash, values)
        linked.append(AuditRow(**values, prev_hash=previous_hash, hash=digest))
        previous_hash, previous_at = digest, at
    return linked


def stored_details(raw: object) -> dict[str, Any]:
    """An entry's details as stored (JSON text, or already decoded by the driver)."""
    details = json.loads(raw) if isinstance(raw, str) else raw
    return dict(details) if isinstance(details, Mapping) else {}


class ChainCheck:
    """Walks the chain from its first entry, in id order, and reports the first link that fails."""

    def __init__(self) -> None:
        self._previous = ""
        self.checked = 0

    def follow(self, row: AuditRow) -> ChainReport | None:
        """The report of the break at `row`, or None when its link holds."""
        if row.prev_hash != self._previous:
            return self._broken(row.id, "previous_entry_missing_or_altered")
        if entry_hash(self._previous, msgspec.structs.asdict(row)) != row.hash:
            return self._broken(row.id, "entry_altered")
        self._previous = row.hash
        self.checked += 1
        return None

    def finish(self, head: ChainHead) -> ChainReport:
        """The verdict once every entry up to the head was followed."""
        if self._previous != head.last_hash or self.checked != head.length:
            return self._broken(head.last_id, "entries_missing_at_the_end")
        return ChainReport(ok=True, checked=self.checked, first_broken_id=None, reason=None)

    def _broken(self, entry_id: int, reason: str) -> ChainReport:
        return ChainReport(ok=False, checked=self.checked, first_broken_id=entry_id, reason=reason)

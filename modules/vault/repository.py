"""Vault queries. Called inside a unit of work, Piccolo joins its transaction automatically.

Reads for the API select only public columns: the sealed material leaves this module only in
the `CredentialStored` event, never through a query that feeds a response.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from piccolo.query.functions.aggregate import Max

from modules.kernel.sealing import SealedSecret
from modules.vault.tables import AuditEntry, AuditHead, Credential, CredentialVersion, UserKey

KEPT_VERSIONS = 10
_WRAPPED_VERSIONS = """
SELECT split_part(w, ':', 2) AS v, count(*) AS n FROM (
    SELECT wrapped_data_key AS w FROM vault.user_keys
    UNION ALL SELECT wrapped_data_key FROM vault.credentials WHERE wrapped_data_key IS NOT NULL
    UNION ALL SELECT wrapped_data_key FROM vault.credential_versions
     WHERE wrapped_data_key IS NOT NULL
) AS wrapped GROUP BY 1
"""
_PUBLIC_COLUMNS = (
    Credential.id,
    Credential.user_id,
    Credential.venue,
    Credential.label,
    Credential.key_hint,
    Credential.status,
    Credential.version,
    Credential.created_at,
    Credential.environment,
    Credential.verification,
    Credential.permissions,
    Credential.verification_request_id,
    Credential.verified_at,
    Credential.refusal_reason,
    Credential.rotated_at,
)
Environment = Literal["simulated", "sandbox", "live"]
Verification = Literal["unverified", "pending", "verified", "refused"]


class CredentialRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    venue: str
    label: str | None
    key_hint: str
    status: Literal["active", "revoked"]
    version: int
    created_at: datetime
    environment: Environment = "simulated"
    verification: Verification = "unverified"
    permissions: list[str] = []
    verification_request_id: uuid.UUID | None = None
    verified_at: datetime | None = None
    refusal_reason: str | None = None
    rotated_at: datetime | None = None


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


def _row(row: dict[str, Any]) -> CredentialRow:
    return msgspec.convert(row, CredentialRow)


def _audit_row(row: Mapping[str, Any]) -> AuditRow:
    details = row["details"]
    values = {**row, "details": json.loads(details) if isinstance(details, str) else details}
    return msgspec.convert(values, AuditRow)


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


class VaultRepository:
    # Data keys --------------------------------------------------------------------------
    async def lock_user_key(self, user_id: str) -> str | None:
        """The user's wrapped data key, row-locked: it serialises a user's credential writes."""
        row = (
            await UserKey.select(UserKey.wrapped_data_key)
            .where(UserKey.user_id == user_id)
            .lock_rows("UPDATE")
            .first()
        )
        return str(row["wrapped_data_key"]) if row else None

    async def add_user_key(self, user_id: str, wrapped_data_key: str, now: datetime) -> None:
        """Insert unless a concurrent first store already did; the first key wins."""
        await UserKey.insert(
            UserKey(user_id=user_id, wrapped_data_key=wrapped_data_key, created_at=now)
        ).on_conflict(target=UserKey.user_id, action="DO NOTHING")

    async def user_ids_with_keys(self) -> list[str]:
        rows = await UserKey.select(UserKey.user_id).order_by(UserKey.user_id)
        return [str(row["user_id"]) for row in rows]

    async def replace_wrapped_key(self, user_id: str, old: str, new: str) -> None:
        """Swap a rewrapped data key in, wherever the old wrapping is stored (same data key)."""
        await UserKey.update({UserKey.wrapped_data_key: new}).where(UserKey.user_id == user_id)
        await Credential.update({Credential.wrapped_data_key: new}).where(
            (Credential.user_id == user_id) & (Credential.wrapped_data_key == old)
        )
        await CredentialVersion.update({CredentialVersion.wrapped_data_key: new}).where(
            (CredentialVersion.user_id == user_id) & (CredentialVersion.wrapped_data_key == old)
        )

    async def wrapped_key_versions(self) -> dict[str, int]:
        """How many stored wrappings use each transit key version (`vault:vN:` prefix)."""
        rows = await UserKey.raw(_WRAPPED_VERSIONS)
        return {str(row["v"]): int(row["n"]) for row in rows}

    # Credentials ------------------------------------------------------------------------
    async def lock_active(self, user_id: str, venue: str) -> CredentialRow | None:
        row = (
            await Credential.select(*_PUBLIC_COLUMNS)
            .where(
                (Credential.user_id == user_id)
                & (Credential.venue == venue)
                & (Credential.status == "active")
            )
            .lock_rows("UPDATE")
            .first()
        )
        return _row(row) if row else None

    async def owned(
        self, user_id: str, credential_id: uuid.UUID, *, lock: bool = False
    ) -> CredentialRow | None:
        query = Credential.select(*_PUBLIC_COLUMNS).where(
            (Credential.id == credential_id) & (Credential.user_id == user_id)
        )
        row = await (query.lock_rows("UPDATE") if lock else query).first()
        return _row(row) if row else None

    async def list_for(self, user_id: str) -> list[CredentialRow]:
        rows = (
            await Credential.select(*_PUBLIC_COLUMNS)
            .where(Credential.user_id == user_id)
            .order_by(Credential.created_at, ascending=False)
            .order_by(Credential.version, ascending=False)
        )
        return [_row(row) for row in rows]

    async def next_version(self, user_id: str, venue: str) -> int:
        row = (
            await Credential.select(Max(Credential.version, alias="latest"))
            .where((Credential.user_id == user_id) & (Credential.venue == venue))
            .first()
        )
        latest = row["latest"] if row else None
        return int(latest or 0) + 1

    async def insert(
        self,
        *,
        user_id: str,
        venue: str,
        label: str | None,
        key_hint: str,
        sealed: SealedSecret,
        version: int,
        environment: Environment,
        now: datetime,
    ) -> CredentialRow:
        credential = Credential(
            user_id=user_id,
            venue=venue,
            label=label,
            key_hint=key_hint,
            ciphertext=sealed.ciphertext,
            wrapped_data_key=sealed.wrapped_data_key,
            status="active",
            version=version,
            environment=environment,
            created_at=now,
        )
        rows = await Credential.insert(credential).returning(*_PUBLIC_COLUMNS)
        row = _row(rows[0])
        await self.add_version(row, sealed, now)
        return row

    async def add_version(self, row: CredentialRow, sealed: SealedSecret, now: datetime) -> None:
        """Keep this version sealed and destroy those older than the newest KEPT_VERSIONS."""
        await CredentialVersion.insert(
            CredentialVersion(
                credential_id=row.id,
                user_id=row.user_id,
                venue=row.venue,
                version=row.version,
                key_hint=row.key_hint,
                ciphertext=sealed.ciphertext,
                wrapped_data_key=sealed.wrapped_data_key,
                created_at=now,
            )
        )
        await self._destroy_versions(row.id, now, below=row.version - KEPT_VERSIONS + 1)

    async def _destroy_versions(self, credential_id: uuid.UUID, now: datetime, below: int) -> None:
        await CredentialVersion.update(
            {
                CredentialVersion.ciphertext: None,
                CredentialVersion.wrapped_data_key: None,
                CredentialVersion.destroyed_at: now,
            }
        ).where(
            (CredentialVersion.credential_id == credential_id)
            & (CredentialVersion.version < below)
            & CredentialVersion.destroyed_at.is_null()
        )

    async def rotate(
        self, row: CredentialRow, key_hint: str, sealed: SealedSecret, now: datetime
    ) -> CredentialRow:
        """The credential's next version; verification starts over, since the key changed."""
        rows = (
            await Credential.update(
                {
                    Credential.key_hint: key_hint,
                    Credential.ciphertext: sealed.ciphertext,
                    Credential.wrapped_data_key: sealed.wrapped_data_key,
                    Credential.version: row.version + 1,
                    Credential.rotated_at: now,
                    Credential.verification: "unverified",
                    Credential.permissions: [],
                    Credential.verification_request_id: None,
                    Credential.verified_at: None,
                    Credential.refusal_reason: None,
                }
            )
            .where(Credential.id == row.id)
            .returning(*_PUBLIC_COLUMNS)
        )
        rotated = _row(rows[0])
        await self.add_version(rotated, sealed, now)
        return rotated

    async def mark_revoked(self, credential_id: uuid.UUID, now: datetime) -> None:
        """Revoke and wipe the sealed material, every kept version included."""
        await Credential.update(
            {
                Credential.status: "revoked",
                Credential.ciphertext: None,
                Credential.wrapped_data_key: None,
                Credential.revoked_at: now,
            }
        ).where(Credential.id == credential_id)
        await self._destroy_versions(credential_id, now, below=2**31 - 1)

    async def mark_pending(self, credential_id: uuid.UUID, request_id: uuid.UUID) -> None:
        await Credential.update(
            {Credential.verification: "pending", Credential.verification_request_id: request_id}
        ).where(Credential.id == credential_id)

    async def lock_by_request(self, credential_id: uuid.UUID) -> CredentialRow | None:
        row = (
            await Credential.select(*_PUBLIC_COLUMNS)
            .where(Credential.id == credential_id)
            .lock_rows("UPDATE")
            .first()
        )
        return _row(row) if row else None

    async def record_verification(
        self,
        credential_id: uuid.UUID,
        *,
        verification: Verification,
        permissions: list[str],
        reason: str | None,
        now: datetime,
    ) -> None:
        await Credential.update(
            {
                Credential.verification: verification,
                Credential.permissions: permissions,
                Credential.refusal_reason: reason,
                Credential.verified_at: now,
            }
        ).where(Credential.id == credential_id)

    # Audit ------------------------------------------------------------------------------
    async def append_audit(
        self,
        *,
        user_id: str,
        action: str,
        now: datetime,
        credential_id: uuid.UUID | None = None,
        venue: str | None = None,
        actor_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditRow:
        """Append one entry (see `append_audits`)."""
        draft = AuditDraft(
            user_id=user_id,
            action=action,
            at=now,
            credential_id=credential_id,
            venue=venue,
            actor_id=actor_id,
            details=details or {},
        )
        return (await self.append_audits([draft]))[0]

    async def append_audits(self, drafts: Sequence[AuditDraft]) -> list[AuditRow]:
        """Append entries in the given order; the head row lock orders appends into one chain.

        Appending many under one lock and one transaction is what lets a burst of unseals (one
        per order placed) go through without every writer queueing on the head row.
        """
        if not drafts:
            return []
        head = await self._lock_head()
        if head is None:
            # An empty log (fresh database): start the chain. If rows did exist, the next
            # entry's empty prev_hash will not match them and verification reports it.
            await AuditHead.insert(AuditHead(id=1, last_id=0, last_hash="", length=0)).on_conflict(
                action="DO NOTHING"
            )
            head = await self._lock_head()
        if head is None:  # pragma: no cover - inserted just above
            raise RuntimeError("audit chain head is missing")
        # Ids are drawn first so each row is written once, hash included: the table refuses
        # UPDATE (append-only trigger).
        drawn = await AuditEntry.raw(
            "SELECT nextval(pg_get_serial_sequence('vault.audit_log', 'id')) AS id "
            "FROM generate_series(1, {})",
            len(drafts),
        )
        ids = sorted(int(row["id"]) for row in drawn)
        # Writers stamp their drafts before they reach the head lock, so the chain's order and
        # the clock's can disagree by a hair; an entry is never dated before the one it follows,
        # so a time range of the log is also a stretch of the chain.
        last = await AuditEntry.select(AuditEntry.at).where(AuditEntry.id == head["last_id"])
        previous_at: datetime | None = last[0]["at"] if last else None
        appended: list[AuditRow] = []
        previous: str = head["last_hash"]
        for new_id, draft in zip(ids, drafts, strict=True):
            at = draft.at
            if previous_at is not None and at <= previous_at:
                at = previous_at + timedelta(microseconds=1)
            values = {**msgspec.structs.asdict(draft), "id": new_id, "at": at}
            digest = entry_hash(previous, values)
            appended.append(AuditRow(**values, prev_hash=previous, hash=digest))
            previous, previous_at = digest, at
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

    async def _lock_head(self) -> dict[str, Any] | None:
        head = await AuditHead.select().where(AuditHead.id == 1).lock_rows("UPDATE").first()
        return dict(head) if head else None

    async def audit_entries(
        self,
        *,
        user_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditRow]:
        query = AuditEntry.select()
        if user_id is not None:
            query = query.where(AuditEntry.user_id == user_id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        rows = await query.order_by(AuditEntry.id, ascending=False).limit(limit)
        return [_audit_row(row) for row in rows]

    async def audit_chain(self, after_id: int, batch: int) -> list[AuditRow]:
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(batch)
        )
        return [_audit_row(row) for row in rows]

    async def audit_head(self) -> dict[str, Any]:
        head = await AuditHead.select().where(AuditHead.id == 1).first()
        return dict(head) if head else {"last_id": 0, "last_hash": "", "length": 0}

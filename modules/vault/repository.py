"""Vault queries. Called inside a unit of work, Piccolo joins its transaction automatically.

Reads for the API select only public columns: the sealed material leaves this module only in
the `CredentialStored` event, never through a query that feeds a response.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

import msgspec
from piccolo.query.functions.aggregate import Max

from modules.kernel.sealing import SealedSecret
from modules.vault.tables import AuditEntry, Credential, UserKey

_PUBLIC_COLUMNS = (
    Credential.id,
    Credential.user_id,
    Credential.venue,
    Credential.label,
    Credential.key_hint,
    Credential.status,
    Credential.version,
    Credential.created_at,
)
AuditAction = Literal["store", "revoke"]


class CredentialRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    venue: str
    label: str | None
    key_hint: str
    status: Literal["active", "revoked"]
    version: int
    created_at: datetime


def _row(row: dict[str, Any]) -> CredentialRow:
    return msgspec.convert(row, CredentialRow)


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
            created_at=now,
        )
        rows = await Credential.insert(credential).returning(*_PUBLIC_COLUMNS)
        return _row(rows[0])

    async def mark_revoked(self, credential_id: uuid.UUID, now: datetime) -> None:
        """Revoke and wipe the sealed material in the same statement."""
        await Credential.update(
            {
                Credential.status: "revoked",
                Credential.ciphertext: None,
                Credential.wrapped_data_key: None,
                Credential.revoked_at: now,
            }
        ).where(Credential.id == credential_id)

    # Audit ------------------------------------------------------------------------------
    async def audit(
        self,
        *,
        user_id: str,
        action: AuditAction,
        credential_id: uuid.UUID,
        venue: str,
        now: datetime,
    ) -> None:
        await AuditEntry.insert(
            AuditEntry(
                user_id=user_id, action=action, credential_id=credential_id, venue=venue, at=now
            )
        )

"""Credentials and their kept sealed versions."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Max

from modules.kernel.sealing import SealedSecret
from modules.vault.config import KEPT_VERSIONS
from modules.vault.domain.credentials import Environment, Status, Verification
from modules.vault.tables import Credential, CredentialVersion


class CredentialRow(msgspec.Struct, frozen=True, kw_only=True):
    """A credential as its owner may see it: never the sealed material."""

    id: uuid.UUID
    user_id: str
    venue: str
    label: str | None
    key_hint: str
    status: Status
    version: int
    created_at: datetime
    environment: Environment = "simulated"
    verification: Verification = "unverified"
    permissions: list[str] = []
    verification_request_id: uuid.UUID | None = None
    verified_at: datetime | None = None
    refusal_reason: str | None = None
    rotated_at: datetime | None = None


_COLUMNS = tuple(getattr(Credential, f.name) for f in msgspec.structs.fields(CredentialRow))


def _row(row: dict[str, Any]) -> CredentialRow:
    return msgspec.convert(row, CredentialRow)


class CredentialRepository:
    async def lock_active(self, user_id: str, venue: str) -> CredentialRow | None:
        row = (
            await Credential.select(*_COLUMNS)
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
        query = Credential.select(*_COLUMNS).where(
            (Credential.id == credential_id) & (Credential.user_id == user_id)
        )
        row = await (query.lock_rows("UPDATE") if lock else query).first()
        return _row(row) if row else None

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
        rows = await Credential.insert(credential).returning(*_COLUMNS)
        row = _row(rows[0])
        await self._add_version(row, sealed, now)
        return row

    async def _add_version(self, row: CredentialRow, sealed: SealedSecret, now: datetime) -> None:
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
                    Credential.balances: "{}",
                    Credential.markets: 0,
                }
            )
            .where(Credential.id == row.id)
            .returning(*_COLUMNS)
        )
        rotated = _row(rows[0])
        await self._add_version(rotated, sealed, now)
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

    async def record_verification(
        self,
        credential_id: uuid.UUID,
        *,
        verification: Verification,
        permissions: list[str],
        reason: str | None,
        now: datetime,
        balances: dict[str, Decimal] | None = None,
        markets: int = 0,
    ) -> None:
        await Credential.update(
            {
                Credential.verification: verification,
                Credential.permissions: permissions,
                Credential.refusal_reason: reason,
                Credential.verified_at: now,
                Credential.balances: msgspec.json.encode(balances or {}).decode(),
                Credential.markets: markets,
            }
        ).where(Credential.id == credential_id)

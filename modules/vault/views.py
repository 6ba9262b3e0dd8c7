"""Vault's read side: a user's credentials (never the secrets) and the audit log.

Only public columns are selected: the sealed material leaves this module only in the
`CredentialStored` event, never through a query that feeds a response.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from modules.vault.domain.audit_chain import stored_details
from modules.vault.domain.credentials import credential_not_found
from modules.vault.schemas import AuditEntryOut, AuditPage, CredentialOut
from modules.vault.tables import AuditEntry, Credential

_CREDENTIAL = (
    Credential.id,
    Credential.venue,
    Credential.label,
    Credential.key_hint,
    Credential.status,
    Credential.version,
    Credential.environment,
    Credential.verification,
    Credential.permissions,
    Credential.refusal_reason,
    Credential.created_at,
    Credential.rotated_at,
    Credential.verified_at,
    Credential.balances,
    Credential.markets,
)


def _credential(row: dict[str, Any]) -> CredentialOut:
    return CredentialOut(
        id=str(row["id"]),
        venue=row["venue"],
        label=row["label"],
        key_hint=row["key_hint"],
        status=row["status"],
        version=row["version"],
        environment=row["environment"],
        verification=row["verification"],
        permissions=list(row["permissions"]),
        refusal_reason=row["refusal_reason"],
        created_at=row["created_at"],
        rotated_at=row["rotated_at"],
        verified_at=row["verified_at"],
        balances=_balances(row["balances"]),
        markets=row["markets"] or 0,
    )


def _balances(stored: str | dict[str, str] | None) -> dict[str, Decimal]:
    if not stored:
        return {}
    raw = msgspec.json.decode(stored) if isinstance(stored, str) else stored
    return {asset: Decimal(amount) for asset, amount in raw.items()}


def _entry(row: dict[str, Any]) -> AuditEntryOut:
    return AuditEntryOut(
        id=row["id"],
        user_id=row["user_id"],
        action=row["action"],
        actor_id=row["actor_id"],
        credential_id=str(row["credential_id"]) if row["credential_id"] else None,
        venue=row["venue"],
        at=row["at"],
        details=stored_details(row["details"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


class VaultViews:
    async def credentials(self, user_id: str) -> list[CredentialOut]:
        """The user's credentials, newest first."""
        rows = (
            await Credential.select(*_CREDENTIAL)
            .where(Credential.user_id == user_id)
            .order_by(Credential.created_at, ascending=False)
            .order_by(Credential.version, ascending=False)
        )
        return [_credential(row) for row in rows]

    async def credential(self, user_id: str, credential_id: uuid.UUID) -> CredentialOut:
        row = (
            await Credential.select(*_CREDENTIAL)
            .where((Credential.id == credential_id) & (Credential.user_id == user_id))
            .first()
        )
        if row is None:
            raise credential_not_found()
        return _credential(row)

    async def audit(
        self,
        *,
        user_id: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        before_id: int | None,
    ) -> AuditPage:
        """Entries matching every filter given, newest first, `limit` at a time."""
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
        items = [_entry(row) for row in rows]
        return AuditPage(items=items, next_before=items[-1].id if len(items) == limit else None)

"""Store, rotate, verify and revoke a user's exchange credentials.

Plaintext material exists only in memory, between the request body and `seal`; while it does,
each value is registered with the log redactor. What is stored and published is the sealed
form: AES-256-GCM under the user's data key, bound to (user, venue), the data key wrapped by
the transit key. Every change is appended to the hash-chained audit log in the same
transaction as the change itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from modules.execution.contracts import CredentialVerified
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import CredentialMaterial, SealedSecret, new_wrapped_data_key, seal
from modules.vault.contracts import (
    CredentialRevoked,
    CredentialStored,
    CredentialVerificationRequested,
)
from modules.vault.domain.audit_chain import AuditDraft
from modules.vault.domain.credentials import (
    Environment,
    check_venue,
    clean_label,
    clean_passphrase,
    clean_secret,
    credential_not_found,
    credential_revoked,
    judge_verification,
    key_hint,
    revoked_by,
)
from modules.vault.repository.audit_log import AuditLogRepository
from modules.vault.repository.credentials import CredentialRepository, CredentialRow
from modules.vault.repository.user_keys import UserKeyRepository

log = logging.getLogger("nija.vault")


@contextmanager
def _masked(material: CredentialMaterial) -> Iterator[None]:
    """Redact every plaintext value from log output for the duration of the block."""
    values = (material.api_key, material.api_secret, material.passphrase)
    handles = [register_secret(value) for value in values if value]
    try:
        yield
    finally:
        handles.clear()


def _cleaned(material: CredentialMaterial) -> CredentialMaterial:
    passphrase = clean_passphrase(material.passphrase)
    return CredentialMaterial(
        api_key=clean_secret("api_key", material.api_key),
        api_secret=clean_secret("api_secret", material.api_secret),
        passphrase=passphrase,
    )


def _stored_event(row: CredentialRow, sealed: SealedSecret) -> CredentialStored:
    return CredentialStored(
        credential_id=str(row.id),
        user_id=row.user_id,
        venue=row.venue,
        key_hint=row.key_hint,
        version=row.version,
        sealed=sealed,
        environment=row.environment,
    )


class Credentials:
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        credentials: CredentialRepository,
        user_keys: UserKeyRepository,
        audit_log: AuditLogRepository,
    ) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self._credentials = credentials
        self._keys = user_keys
        self._audit_log = audit_log

    async def _audit(
        self, row: CredentialRow, action: str, actor_id: str, now: datetime, **details: Any
    ) -> None:
        await self._audit_log.append(
            [
                AuditDraft(
                    user_id=row.user_id,
                    action=action,
                    at=now,
                    credential_id=row.id,
                    venue=row.venue,
                    actor_id=actor_id,
                    details=details,
                )
            ]
        )

    # -- store --------------------------------------------------------------------------------
    async def store(
        self,
        user_id: str,
        venue: str,
        material: CredentialMaterial,
        label: str | None = None,
        environment: Environment = "simulated",
    ) -> CredentialRow:
        """Seal and store a credential; an active one for the same venue is replaced."""
        with _masked(material):
            venue = check_venue(venue)
            material = _cleaned(material)
            with _masked(material):
                return await self._store(user_id, venue, material, clean_label(label), environment)

    async def _store(
        self,
        user_id: str,
        venue: str,
        material: CredentialMaterial,
        label: str | None,
        environment: Environment,
    ) -> CredentialRow:
        now = self._runtime.clock()
        async with self._uow() as uow:
            wrapped = await self._data_key(user_id)
            sealed = await self._seal(wrapped, user_id, venue, material)
            previous = await self._credentials.lock_active(user_id, venue)
            if previous is not None:
                await self._revoke(uow, previous, reason="replaced")
            row = await self._credentials.insert(
                user_id=user_id,
                venue=venue,
                label=label,
                key_hint=key_hint(material.api_key),
                sealed=sealed,
                version=await self._credentials.next_version(user_id, venue),
                environment=environment,
                now=now,
            )
            await self._audit(
                row, "store", user_id, now, version=row.version, environment=environment
            )
            uow.publish(_stored_event(row, sealed))
        log.info(
            "credential stored",
            extra={"user_id": user_id, "credential_id": str(row.id), "venue": venue},
        )
        return row

    async def _data_key(self, user_id: str) -> str:
        """The user's wrapped data key, created on first use; holds the user's row lock."""
        wrapped = await self._keys.lock(user_id)
        if wrapped is None:
            fresh = await asyncio.to_thread(new_wrapped_data_key, self._runtime.keyring, user_id)
            await self._keys.add(user_id, fresh, self._runtime.clock())
            wrapped = await self._keys.lock(user_id)
        if wrapped is None:  # pragma: no cover - the insert above guarantees a row
            raise RuntimeError("user data key vanished inside its transaction")
        return wrapped

    async def _seal(
        self, wrapped: str, user_id: str, venue: str, material: CredentialMaterial
    ) -> SealedSecret:
        # Off the event loop: with Vault Transit, unwrapping the data key is a network call.
        return await asyncio.to_thread(
            seal, self._runtime.keyring, wrapped, user_id, venue, material
        )

    # -- rotate -------------------------------------------------------------------------------
    async def rotate(
        self, user_id: str, credential_id: uuid.UUID, material: CredentialMaterial
    ) -> CredentialRow:
        """A new key/secret as the credential's next version; the id stays, so orders that
        are already on their way keep resolving to a working key."""
        with _masked(material):
            material = _cleaned(material)
            with _masked(material):
                row = await self._rotate(user_id, credential_id, material)
        log.info("credential rotated", extra={"credential_id": str(row.id), "version": row.version})
        return row

    async def _rotate(
        self, user_id: str, credential_id: uuid.UUID, material: CredentialMaterial
    ) -> CredentialRow:
        now = self._runtime.clock()
        async with self._uow() as uow:
            wrapped = await self._data_key(user_id)
            current = await self._credentials.owned(user_id, credential_id, lock=True)
            if current is None:
                raise credential_not_found()
            if current.status != "active":
                raise credential_revoked()
            sealed = await self._seal(wrapped, user_id, current.venue, material)
            row = await self._credentials.rotate(current, key_hint(material.api_key), sealed, now)
            await self._audit(
                row, "rotate", user_id, now, from_version=current.version, to_version=row.version
            )
            uow.publish(_stored_event(row, sealed))
        return row

    # -- revoke -------------------------------------------------------------------------------
    async def _revoke(self, uow: UnitOfWork, row: CredentialRow, *, reason: str) -> None:
        now = self._runtime.clock()
        await self._credentials.mark_revoked(row.id, now)
        actor_id = revoked_by(reason, row.user_id)
        await self._audit(row, "revoke", actor_id, now, reason=reason, version=row.version)
        uow.publish(
            CredentialRevoked(credential_id=str(row.id), user_id=row.user_id, venue=row.venue)
        )

    async def revoke(self, user_id: str, credential_id: uuid.UUID) -> None:
        """Revoke and wipe a credential. Revoking a revoked one is a no-op (idempotent DELETE)."""
        async with self._uow() as uow:
            row = await self._credentials.owned(user_id, credential_id, lock=True)
            if row is None:
                raise credential_not_found()
            if row.status == "active":
                await self._revoke(uow, row, reason="user")
                log.info(
                    "credential revoked",
                    extra={"user_id": user_id, "credential_id": str(row.id), "venue": row.venue},
                )

    # -- verify -------------------------------------------------------------------------------
    async def request_verification(self, user_id: str, credential_id: uuid.UUID) -> uuid.UUID:
        """Ask execution (by event) to check the key with its venue; the answer comes back as
        `CredentialVerified`, handled by `record_verification`."""
        request_id = uuid.uuid4()
        async with self._uow() as uow:
            row = await self._credentials.owned(user_id, credential_id, lock=True)
            if row is None:
                raise credential_not_found()
            if row.status != "active":
                raise credential_revoked()
            await self._credentials.mark_pending(row.id, request_id)
            await self._audit(
                row,
                "verify_requested",
                user_id,
                self._runtime.clock(),
                request_id=str(request_id),
                version=row.version,
            )
            uow.publish(
                CredentialVerificationRequested(
                    request_id=str(request_id),
                    credential_id=str(row.id),
                    user_id=user_id,
                    venue=row.venue,
                )
            )
        return request_id

    async def record_verification(self, event: CredentialVerified, uow: UnitOfWork) -> None:
        """Fold the venue's answer in. Answers to a superseded request (the key was rotated or
        verified again since) are ignored; a key that may withdraw, or fails, is refused and
        revoked, so it can never sign an order."""
        row = await self._credentials.owned(
            event.user_id, uuid.UUID(event.credential_id), lock=True
        )
        if row is None or str(row.verification_request_id) != event.request_id:
            return
        if row.status != "active" or row.verification != "pending":
            return
        permissions = sorted(set(event.permissions))
        verdict = judge_verification(event.ok, list(event.permissions), event.reason)
        now = self._runtime.clock()
        await self._credentials.record_verification(
            row.id,
            verification=verdict.verification,
            permissions=permissions,
            reason=verdict.refusal[:200] if verdict.refusal else None,
            now=now,
            balances=event.balances if verdict.verified else {},
            markets=event.markets if verdict.verified else 0,
        )
        await self._audit(
            row,
            "verify",
            "execution",
            now,
            request_id=event.request_id,
            outcome=verdict.verification,
            permissions=permissions,
            reason=verdict.refusal or "",
        )
        if not verdict.verified:
            await self._revoke(uow, row, reason="refused")

"""Vault use cases: store, verify, rotate, revoke and list a user's exchange credentials.

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

import msgspec

from modules.kernel.errors import ProblemError
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import (
    TRANSIT_KEY,
    CredentialMaterial,
    SealedSecret,
    new_wrapped_data_key,
    seal,
)
from modules.vault.contracts import (
    CredentialRevoked,
    CredentialStored,
    CredentialVerificationRequested,
    UserDataKeyRewrapped,
)
from modules.vault.repository import (
    AuditDraft,
    CredentialRow,
    Environment,
    VaultRepository,
    entry_hash,
)
from modules.vault.schemas import MAX_SECRET_LENGTH, MIN_SECRET_LENGTH

log = logging.getLogger("nija.vault")

VENUES: tuple[str, ...] = ("coinbase", "kraken", "binance")
SYSTEM_USER = "system"


def check_venue(raw: str) -> str:
    venue = raw.strip().lower()
    if venue not in VENUES:
        raise ProblemError(
            422, "unknown_venue", f"Unknown venue; supported venues are {', '.join(VENUES)}"
        )
    return venue


def _trimmed(name: str, value: str) -> str:
    trimmed = value.strip()
    if not MIN_SECRET_LENGTH <= len(trimmed) <= MAX_SECRET_LENGTH:
        # The message names the field, never echoes its value.
        raise ProblemError(
            422,
            "invalid_credential",
            f"{name} must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
            " without surrounding whitespace",
        )
    return trimmed


def clean_material(material: CredentialMaterial) -> CredentialMaterial:
    passphrase = material.passphrase.strip() if material.passphrase is not None else None
    if passphrase is not None and not passphrase:
        raise ProblemError(422, "invalid_credential", "passphrase must not be blank")
    return CredentialMaterial(
        api_key=_trimmed("api_key", material.api_key),
        api_secret=_trimmed("api_secret", material.api_secret),
        passphrase=passphrase,
    )


def clean_label(label: str | None) -> str | None:
    label = label.strip() if label is not None else None
    return label or None


@contextmanager
def masked(material: CredentialMaterial) -> Iterator[None]:
    """Redact every plaintext value from log output for the duration of the block."""
    values = (material.api_key, material.api_secret, material.passphrase)
    handles = [register_secret(value) for value in values if value]
    try:
        yield
    finally:
        handles.clear()


def _not_found() -> ProblemError:
    # Same answer for "does not exist" and "belongs to someone else": existence never leaks.
    return ProblemError(404, "credential_not_found", "No such credential")


def _revoked() -> ProblemError:
    return ProblemError(409, "credential_revoked", "This credential is revoked; store a new one")


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


class VaultService:
    def __init__(self, runtime: Runtime, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self.repo = VaultRepository()

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
        with masked(material):
            venue = check_venue(venue)
            material = clean_material(material)
            with masked(material):
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
            previous = await self.repo.lock_active(user_id, venue)
            if previous is not None:
                await self._revoke(uow, previous, reason="replaced")
            row = await self.repo.insert(
                user_id=user_id,
                venue=venue,
                label=label,
                key_hint=material.api_key[-4:],
                sealed=sealed,
                version=await self.repo.next_version(user_id, venue),
                environment=environment,
                now=now,
            )
            await self.repo.append_audit(
                user_id=user_id,
                action="store",
                credential_id=row.id,
                venue=venue,
                actor_id=user_id,
                details={"version": row.version, "environment": environment},
                now=now,
            )
            uow.publish(_stored_event(row, sealed))
        log.info(
            "credential stored",
            extra={"user_id": user_id, "credential_id": str(row.id), "venue": venue},
        )
        return row

    async def _data_key(self, user_id: str) -> str:
        """The user's wrapped data key, created on first use; holds the user's row lock."""
        wrapped = await self.repo.lock_user_key(user_id)
        if wrapped is None:
            fresh = await asyncio.to_thread(new_wrapped_data_key, self._runtime.keyring, user_id)
            await self.repo.add_user_key(user_id, fresh, self._runtime.clock())
            wrapped = await self.repo.lock_user_key(user_id)
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
        with masked(material):
            material = clean_material(material)
            with masked(material):
                now = self._runtime.clock()
                async with self._uow() as uow:
                    wrapped = await self._data_key(user_id)
                    current = await self.repo.owned(user_id, credential_id, lock=True)
                    if current is None:
                        raise _not_found()
                    if current.status != "active":
                        raise _revoked()
                    sealed = await self._seal(wrapped, user_id, current.venue, material)
                    row = await self.repo.rotate(current, material.api_key[-4:], sealed, now)
                    await self.repo.append_audit(
                        user_id=user_id,
                        action="rotate",
                        credential_id=row.id,
                        venue=row.venue,
                        actor_id=user_id,
                        details={"from_version": current.version, "to_version": row.version},
                        now=now,
                    )
                    uow.publish(_stored_event(row, sealed))
        log.info("credential rotated", extra={"credential_id": str(row.id), "version": row.version})
        return row

    # -- revoke -------------------------------------------------------------------------------
    async def _revoke(self, uow: UnitOfWork, row: CredentialRow, *, reason: str) -> None:
        now = self._runtime.clock()
        await self.repo.mark_revoked(row.id, now)
        await self.repo.append_audit(
            user_id=row.user_id,
            action="revoke",
            credential_id=row.id,
            venue=row.venue,
            actor_id=row.user_id if reason in ("user", "replaced") else "vault",
            details={"reason": reason, "version": row.version},
            now=now,
        )
        uow.publish(
            CredentialRevoked(credential_id=str(row.id), user_id=row.user_id, venue=row.venue)
        )

    async def revoke(self, user_id: str, credential_id: uuid.UUID) -> None:
        """Revoke and wipe a credential. Revoking a revoked one is a no-op (idempotent DELETE)."""
        async with self._uow() as uow:
            row = await self.repo.owned(user_id, credential_id, lock=True)
            if row is None:
                raise _not_found()
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
            row = await self.repo.owned(user_id, credential_id, lock=True)
            if row is None:
                raise _not_found()
            if row.status != "active":
                raise _revoked()
            await self.repo.mark_pending(row.id, request_id)
            await self.repo.append_audit(
                user_id=user_id,
                action="verify_requested",
                credential_id=row.id,
                venue=row.venue,
                actor_id=user_id,
                details={"request_id": str(request_id), "version": row.version},
                now=self._runtime.clock(),
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

    async def record_verification(
        self,
        uow: UnitOfWork,
        *,
        request_id: str,
        credential_id: str,
        user_id: str,
        ok: bool,
        permissions: list[str],
        reason: str,
    ) -> None:
        """Fold the venue's answer in. Answers to a superseded request (the key was rotated or
        verified again since) are ignored; a key that may withdraw, or fails, is refused and
        revoked, so it can never sign an order."""
        row = await self.repo.owned(user_id, uuid.UUID(credential_id), lock=True)
        if row is None or str(row.verification_request_id) != request_id:
            return
        if row.status != "active" or row.verification != "pending":
            return
        withdraws = "withdraw" in permissions
        verified = ok and not withdraws
        refusal = None
        if not verified:
            refusal = "the key may withdraw funds" if withdraws else (reason or "rejected")
        now = self._runtime.clock()
        await self.repo.record_verification(
            row.id,
            verification="verified" if verified else "refused",
            permissions=sorted(set(permissions)),
            reason=refusal[:200] if refusal else None,
            now=now,
        )
        await self.repo.append_audit(
            user_id=user_id,
            action="verify",
            credential_id=row.id,
            venue=row.venue,
            actor_id="execution",
            details={
                "request_id": request_id,
                "outcome": "verified" if verified else "refused",
                "permissions": sorted(set(permissions)),
                "reason": refusal or "",
            },
            now=now,
        )
        if not verified:
            await self._revoke(uow, row, reason="refused")

    # -- reads --------------------------------------------------------------------------------
    async def list_credentials(self, user_id: str) -> list[CredentialRow]:
        return await self.repo.list_for(user_id)

    async def get(self, user_id: str, credential_id: uuid.UUID) -> CredentialRow:
        row = await self.repo.owned(user_id, credential_id)
        if row is None:
            raise _not_found()
        return row

    # -- transit key rotation -----------------------------------------------------------------
    async def rotate_transit_key(self, actor_id: str = SYSTEM_USER) -> dict[str, int]:
        """Rotate the transit key, then rewrap every user's data key under the new version.

        Each user is rewrapped in its own short transaction holding that user's key row lock,
        so credential writes of other users go on, and the data key itself never changes:
        the sealed credentials (and execution's copies) stay valid throughout.
        """
        keyring = self._runtime.keyring
        version = await asyncio.to_thread(keyring.rotate, TRANSIT_KEY)
        rewrapped = 0
        for user_id in await self.repo.user_ids_with_keys():
            async with self._uow() as uow:
                old = await self.repo.lock_user_key(user_id)
                if old is None or old.startswith(f"vault:v{version}:"):
                    continue
                new = await asyncio.to_thread(
                    keyring.rewrap, TRANSIT_KEY, old, context=user_id.encode()
                )
                await self.repo.replace_wrapped_key(user_id, old, new)
                uow.publish(
                    UserDataKeyRewrapped(
                        user_id=user_id,
                        previous_wrapped_data_key=old,
                        wrapped_data_key=new,
                        transit_version=version,
                    )
                )
                rewrapped += 1
        async with self._uow():
            await self.repo.append_audit(
                user_id=SYSTEM_USER,
                action="rotate_keys",
                actor_id=actor_id,
                details={"transit_version": version, "rewrapped": rewrapped},
                now=self._runtime.clock(),
            )
        log.info("transit key rotated", extra={"version": version, "rewrapped": rewrapped})
        return {"version": version, "rewrapped": rewrapped}

    # -- audit ----------------------------------------------------------------------------
    async def audit(
        self,
        *,
        user_id: str,
        action: str,
        actor_id: str,
        credential_id: str | None = None,
        venue: str | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        """Append an entry inside the caller's transaction (a handler's unit of work)."""
        await self.audit_many(
            [
                self.audit_draft(
                    user_id=user_id,
                    action=action,
                    actor_id=actor_id,
                    credential_id=credential_id,
                    venue=venue,
                    details=details,
                )
            ]
        )

    def audit_draft(
        self,
        *,
        user_id: str,
        action: str,
        actor_id: str,
        credential_id: str | None = None,
        venue: str | None = None,
        details: dict[str, object] | None = None,
    ) -> AuditDraft:
        return AuditDraft(
            user_id=user_id,
            action=action,
            at=self._runtime.clock(),
            credential_id=uuid.UUID(credential_id) if credential_id else None,
            venue=venue,
            actor_id=actor_id,
            details=dict(details or {}),
        )

    async def audit_many(self, drafts: list[AuditDraft]) -> None:
        """Append entries, in order, inside the caller's transaction."""
        await self.repo.append_audits(drafts)

    async def verify_chain(self, batch: int = 500) -> ChainReport:
        """Recompute the chain from the first entry; report the first link that does not hold."""
        head = await self.repo.audit_head()
        previous, checked, last_id = "", 0, 0
        while True:
            rows = await self.repo.audit_chain(last_id, batch)
            rows = [row for row in rows if row.id <= int(head["last_id"])]
            for row in rows:
                if row.prev_hash != previous:
                    return ChainReport(
                        ok=False,
                        checked=checked,
                        first_broken_id=row.id,
                        reason="previous_entry_missing_or_altered",
                    )
                if entry_hash(previous, msgspec.structs.asdict(row)) != row.hash:
                    return ChainReport(
                        ok=False, checked=checked, first_broken_id=row.id, reason="entry_altered"
                    )
                previous, checked, last_id = row.hash, checked + 1, row.id
            if len(rows) < batch:
                break
        if previous != head["last_hash"] or checked != int(head["length"]):
            return ChainReport(
                ok=False,
                checked=checked,
                first_broken_id=int(head["last_id"]),
                reason="entries_missing_at_the_end",
            )
        return ChainReport(ok=True, checked=checked, first_broken_id=None, reason=None)


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str | None


ROTATION_LOCK = 0x5641554C54  # pg advisory lock id: one replica rotates at a time


async def rotate_when_due(service: VaultService, runtime: Runtime) -> dict[str, int] | None:
    """Rotate the transit key if the last rotation is older than the configured interval."""
    interval = runtime.settings.key_rotation_interval_seconds
    async with runtime.db.connection() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ROTATION_LOCK):
            return None
        try:
            last = await conn.fetchval(
                "SELECT max(at) FROM vault.audit_log WHERE action = 'rotate_keys'"
            )
            if last is not None and (runtime.clock() - last).total_seconds() < interval:
                return None
            return await service.rotate_transit_key(actor_id="schedule")
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", ROTATION_LOCK)

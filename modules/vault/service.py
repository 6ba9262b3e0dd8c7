"""Vault use cases: store (seal), list, read and revoke a user's exchange credentials.

Plaintext material exists only in memory, between the request body and `seal`; while it does,
each value is registered with the log redactor. What is stored and published is the sealed
form: AES-256-GCM under the user's data key, bound to (user, venue), the data key wrapped by
the transit key.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from modules.kernel.errors import ProblemError
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import (
    CredentialMaterial,
    SealedSecret,
    new_wrapped_data_key,
    seal,
)
from modules.vault.contracts import CredentialRevoked, CredentialStored
from modules.vault.repository import CredentialRow, VaultRepository
from modules.vault.schemas import MAX_SECRET_LENGTH, MIN_SECRET_LENGTH

log = logging.getLogger("nija.vault")

VENUES: tuple[str, ...] = ("coinbase", "kraken", "binance")


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


class VaultService:
    def __init__(self, runtime: Runtime, unit_of_work: Callable[[], UnitOfWork]) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self._repo = VaultRepository()

    async def store(
        self, user_id: str, venue: str, material: CredentialMaterial, label: str | None = None
    ) -> CredentialRow:
        """Seal and store a credential; an active one for the same venue is replaced."""
        with masked(material):
            venue = check_venue(venue)
            material = clean_material(material)
            with masked(material):
                return await self._store(user_id, venue, material, clean_label(label))

    async def _store(
        self, user_id: str, venue: str, material: CredentialMaterial, label: str | None
    ) -> CredentialRow:
        now = self._runtime.clock()
        async with self._uow() as uow:
            wrapped = await self._data_key(user_id)
            sealed = await self._seal(wrapped, user_id, venue, material)
            previous = await self._repo.lock_active(user_id, venue)
            if previous is not None:
                await self._revoke(uow, previous)
            row = await self._repo.insert(
                user_id=user_id,
                venue=venue,
                label=label,
                key_hint=material.api_key[-4:],
                sealed=sealed,
                version=await self._repo.next_version(user_id, venue),
                now=now,
            )
            await self._repo.audit(
                user_id=user_id, action="store", credential_id=row.id, venue=venue, now=now
            )
            uow.publish(
                CredentialStored(
                    credential_id=str(row.id),
                    user_id=user_id,
                    venue=venue,
                    key_hint=row.key_hint,
                    version=row.version,
                    sealed=sealed,
                )
            )
        log.info(
            "credential stored",
            extra={"user_id": user_id, "credential_id": str(row.id), "venue": venue},
        )
        return row

    async def _data_key(self, user_id: str) -> str:
        """The user's wrapped data key, created on first use; holds the user's row lock."""
        wrapped = await self._repo.lock_user_key(user_id)
        if wrapped is None:
            fresh = await asyncio.to_thread(new_wrapped_data_key, self._runtime.keyring, user_id)
            await self._repo.add_user_key(user_id, fresh, self._runtime.clock())
            wrapped = await self._repo.lock_user_key(user_id)
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

    async def _revoke(self, uow: UnitOfWork, row: CredentialRow) -> None:
        now = self._runtime.clock()
        await self._repo.mark_revoked(row.id, now)
        await self._repo.audit(
            user_id=row.user_id, action="revoke", credential_id=row.id, venue=row.venue, now=now
        )
        uow.publish(
            CredentialRevoked(credential_id=str(row.id), user_id=row.user_id, venue=row.venue)
        )

    async def list_credentials(self, user_id: str) -> list[CredentialRow]:
        return await self._repo.list_for(user_id)

    async def get(self, user_id: str, credential_id: uuid.UUID) -> CredentialRow:
        row = await self._repo.owned(user_id, credential_id)
        if row is None:
            raise _not_found()
        return row

    async def revoke(self, user_id: str, credential_id: uuid.UUID) -> None:
        """Revoke and wipe a credential. Revoking a revoked one is a no-op (idempotent DELETE)."""
        async with self._uow() as uow:
            row = await self._repo.owned(user_id, credential_id, lock=True)
            if row is None:
                raise _not_found()
            if row.status == "active":
                await self._revoke(uow, row)
                log.info(
                    "credential revoked",
                    extra={"user_id": user_id, "credential_id": str(row.id), "venue": row.venue},
                )

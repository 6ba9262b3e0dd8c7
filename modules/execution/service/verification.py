"""Verifying a credential for vault: what the venue says the key may do.

The key is opened (audited like every unseal) only for the one call that asks the venue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from modules.execution.contracts import CredentialUnsealed, CredentialVerified
from modules.execution.domain.venue import VenueFault, VenueRejected, VenueUnavailable
from modules.execution.ports import Venue, VerifiesCredentials
from modules.execution.repository.credentials import StoredCredential
from modules.execution.service.credentials import Credentials, usable
from modules.execution.service.order_events import event_id
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import RetryLater
from modules.kernel.sealing import UnsealError, unseal
from modules.vault.contracts import CredentialVerificationRequested


class CredentialVerification:
    def __init__(
        self, runtime: Runtime, venues: Mapping[str, Venue], credentials: Credentials
    ) -> None:
        self._runtime = runtime
        self._venues = venues
        self._credentials = credentials

    async def verify(self, event: CredentialVerificationRequested, uow: UnitOfWork) -> None:
        stored = await self._credentials.known(uow.conn, event.credential_id, event.occurred_at)
        verdict = await self._verdict(event, stored, uow)
        ok, permissions, reason = verdict
        uow.publish(
            CredentialVerified(
                event_id=event_id(event.request_id, "verified"),
                request_id=event.request_id,
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                ok=ok,
                permissions=permissions,
                reason=reason,
            )
        )

    async def _verdict(
        self,
        event: CredentialVerificationRequested,
        stored: StoredCredential | None,
        uow: UnitOfWork,
    ) -> tuple[bool, list[str], str]:
        if not usable(stored, event.user_id, event.venue) or stored is None or not stored.sealed:
            return False, [], "credential_unavailable"
        if stored.venue not in self._venues:
            return False, [], "unknown_venue"
        try:
            material = unseal(self._runtime.keyring, stored.sealed, event.user_id, event.venue)
        except UnsealError:
            return False, [], "credential_unavailable"
        uow.publish(
            CredentialUnsealed(
                event_id=event_id(event.request_id, "unsealed"),
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                order_id=event.request_id,
                purpose="verify_credential",
            )
        )
        mask = register_secret(material.api_secret)
        try:
            venue = self._credentials.venue_for(stored)
            if not isinstance(venue, VerifiesCredentials):
                return False, [], "verification_unsupported"
            permissions = await asyncio.wait_for(venue.verify_credential(material), 10.0)
        except VenueRejected as refusal:
            return False, [], refusal.code
        except (VenueFault, VenueUnavailable, TimeoutError) as fault:
            raise RetryLater(f"{event.venue} could not verify now") from fault
        finally:
            del mask, material
        return True, sorted(permissions), ""

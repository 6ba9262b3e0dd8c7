"""Credentials at signing time: find the sealed copy, unseal it in memory, audit every unseal.

Execution holds only the sealed copies vault publishes; this is the one place that opens them,
and each opening publishes `CredentialUnsealed` (for an order, a verification, or a sweep) so
the audit log sees every use. The plaintext lives only as long as the call that needs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import asyncpg

from modules.execution.adapters.order_events import event_id
from modules.execution.adapters.outcomes import TERMINAL, OrderOutcomes
from modules.execution.adapters.venue import (
    Venue,
    VenueFault,
    VenueRejected,
    VenueUnavailable,
)
from modules.execution.contracts import CredentialUnsealed, CredentialVerified
from modules.execution.repository import ExecutionRepository, QueuedOrder, StoredCredential
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.sealing import CredentialMaterial, UnsealError, unseal
from modules.vault.contracts import CredentialVerificationRequested

log = logging.getLogger("nija.execution")


class RetryLater(Exception):
    """Not an error yet: raise to have the bus redeliver the event after a backoff."""


def usable(stored: StoredCredential | None, user_id: str, venue: str) -> bool:
    return (
        stored is not None
        and stored.sealed is not None
        and stored.user_id == user_id
        and stored.venue == venue
    )


class Credentials:
    def __init__(
        self,
        runtime: Runtime,
        venues: Mapping[str, Venue],
        repository: ExecutionRepository,
        outcomes: OrderOutcomes,
        ccxt_urls: Mapping[str, dict[str, str]],
    ) -> None:
        self._runtime = runtime
        self._venues = venues
        self._repo = repository
        self._outcomes = outcomes
        self._ccxt_urls = ccxt_urls
        self._real: dict[tuple[str, str], Venue] = {}
        settings = runtime.settings
        # A credential we have not heard of may still be on its way from vault (another topic,
        # another queue); wait for it within half of the bus's retry budget, then give up.
        budget = sum(
            min(settings.bus_retry_base_seconds * 2**i, settings.bus_retry_max_seconds)
            for i in range(max(settings.bus_max_attempts - 1, 0))
        )
        self._grace = timedelta(seconds=budget / 2)

    async def known(
        self, conn: asyncpg.Connection, credential_id: str, occurred_at: datetime
    ) -> StoredCredential | None:
        """The sealed copy, or `RetryLater` while it may still be on its way from vault."""
        stored = await self._repo.credential(conn, credential_id)
        if stored is None and self._runtime.clock() - occurred_at < self._grace:
            raise RetryLater(f"credential {credential_id} not known yet")
        return stored

    async def open_for(
        self, order: QueuedOrder, purpose: str
    ) -> tuple[Venue, CredentialMaterial] | None:
        """Unseal the order's credential in memory (audited), or reject the order."""
        async with self._runtime.unit_of_work("execution") as uow:
            locked = await self._repo.order(uow.conn, order.order_id)
            if locked is None or locked.status in TERMINAL:
                return None
            if purpose == "place_order" and await self._repo.paused(uow.conn, order.user_id):
                await self._outcomes.reject_in(
                    uow, order, "user_paused", "trading is paused for this user"
                )
                return None
            stored = await self._repo.credential(uow.conn, order.credential_id)
            material = None
            if usable(stored, order.user_id, order.venue) and stored and stored.sealed:
                try:
                    material = unseal(
                        self._runtime.keyring, stored.sealed, order.user_id, order.venue
                    )
                except UnsealError:
                    log.warning("credential did not open", extra={"order": order.order_id})
            if material is None or stored is None:
                await self._outcomes.reject_in(
                    uow, order, "credential_unavailable", "the credential is revoked or unknown"
                )
                return None
            venue = self.venue_for(stored)
            if venue is None:
                await self._outcomes.reject_in(
                    uow, order, "venue_unavailable", f"no {stored.environment} {order.venue} client"
                )
                return None
            uow.publish(
                CredentialUnsealed(
                    credential_id=order.credential_id,
                    user_id=order.user_id,
                    venue=order.venue,
                    order_id=order.order_id,
                    purpose=purpose,  # type: ignore[arg-type]
                )
            )
        return venue, material

    async def open_for_sweep(self, stored: StoredCredential) -> CredentialMaterial | None:
        """Unseal a live account's credential for a sweep (audited), or None if it won't open."""
        if stored.sealed is None:
            return None
        try:
            material = unseal(self._runtime.keyring, stored.sealed, stored.user_id, stored.venue)
        except UnsealError:
            return None
        # Every unseal is audited; a sweep acts for no order, so `order_id` is empty.
        async with self._runtime.unit_of_work("execution") as uow:
            uow.publish(
                CredentialUnsealed(
                    credential_id=stored.credential_id,
                    user_id=stored.user_id,
                    venue=stored.venue,
                    order_id="",
                    purpose="reconcile",
                )
            )
        return material

    def venue_for(self, stored: StoredCredential) -> Venue | None:
        if stored.environment in ("sandbox", "live"):
            return self._real_venue(stored)
        return self._venues.get(stored.venue)

    def _real_venue(self, stored: StoredCredential) -> Venue | None:
        """The real exchange through ccxt: one adapter per venue and environment.

        The adapter opens a fresh ccxt client per call with the credential it is handed, so
        sharing it between users shares only market metadata, never a key.
        """
        key = (stored.venue, stored.environment)
        if key not in self._real:
            try:
                from modules.execution.adapters.ccxt_venue import build_ccxt_venue
            except ImportError:
                return None
            self._real[key] = build_ccxt_venue(
                stored.venue, stored.environment, urls_override=self._ccxt_urls.get(stored.venue)
            )
        return self._real[key]

    async def close(self) -> None:
        for venue in self._real.values():
            closing = getattr(venue, "close", None)
            if closing is not None:
                with contextlib.suppress(Exception):
                    await closing()
        self._real.clear()

    # -- verification ----------------------------------------------------------------------------
    async def verify(self, event: CredentialVerificationRequested, uow: UnitOfWork) -> None:
        stored = await self.known(uow.conn, event.credential_id, event.occurred_at)
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
            venue = self.venue_for(stored)
            check = getattr(venue, "verify_credential", None) if venue else None
            if check is None:
                return False, [], "verification_unsupported"
            permissions: list[str] = await asyncio.wait_for(check(material), 10.0)
        except VenueRejected as refusal:
            return False, [], refusal.code
        except (VenueFault, VenueUnavailable, TimeoutError) as fault:
            raise RetryLater(f"{event.venue} could not verify now") from fault
        finally:
            del mask, material
        return True, sorted(permissions), ""

"""Credentials: keep vault's sealed copies, and open one in memory only to sign, audited.

Execution holds only the sealed copies vault publishes; this is the one place that opens them,
and each opening publishes `CredentialUnsealed` (for an order, a verification, or a sweep) so
the audit log sees every use. The plaintext lives only as long as the call that needs it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

import asyncpg
import msgspec

from modules.execution.config import ExecutionConfig
from modules.execution.contracts import CredentialUnsealed
from modules.execution.domain.orders import RESTING, TERMINAL, QueuedOrder
from modules.execution.ports import HoldsConnections, Venue
from modules.execution.repository.credentials import (
    CredentialRepository,
    OrderStanding,
    Standing,
    StoredCredential,
)
from modules.execution.service.outcomes import OrderOutcomes
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import RetryLater
from modules.kernel.sealing import CredentialMaterial, UnsealError, unseal
from modules.vault.contracts import CredentialRevoked, CredentialStored, UserDataKeyRewrapped

log = logging.getLogger("nija.execution")


class Opening(msgspec.Struct, frozen=True, kw_only=True):
    """An order's standing as its credential was handed out, and whether the opening was
    audited (it may go ahead)."""

    standing: OrderStanding
    audited: bool


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
        config: ExecutionConfig,
        venues: Mapping[str, Venue],
        *,
        credentials: CredentialRepository,
        outcomes: OrderOutcomes,
    ) -> None:
        self._runtime = runtime
        self._venues = venues
        self._repo = credentials
        self._outcomes = outcomes
        self._grace = config.credential_grace
        # Per venue, replacement API base URLs for ccxt (a loopback exchange simulator in tests).
        self.ccxt_urls: dict[str, dict[str, str]] = {}
        self._real: dict[tuple[str, str], Venue] = {}

    # -- vault's sealed copies ---------------------------------------------------------------
    async def store(self, event: CredentialStored, uow: UnitOfWork) -> None:
        await self._repo.store(uow.conn, event)

    async def revoke(self, event: CredentialRevoked, uow: UnitOfWork) -> None:
        await self._repo.revoke(uow.conn, event)

    async def rewrap(self, event: UserDataKeyRewrapped, uow: UnitOfWork) -> None:
        """Follow the vault's rewrap, so the copies here still open once an operator retires
        the old transit key versions (raises the minimum decryption version)."""
        await self._repo.rewrap(uow.conn, event)

    # -- opening -------------------------------------------------------------------------------
    async def standing(
        self, conn: asyncpg.Connection, credential_id: str, user_id: str, occurred_at: datetime
    ) -> Standing:
        """The sealed copy (None if unknown) and whether its user is paused, read together; or
        `RetryLater` while the copy may still be on its way from vault."""
        standing = await self._repo.standing(conn, credential_id, user_id)
        self.check_known(standing, credential_id, occurred_at)
        return standing

    def check_known(self, standing: Standing, credential_id: str, occurred_at: datetime) -> None:
        """`RetryLater` while a credential not known here may still be on its way from vault
        (its `CredentialStored` and an order using it travel on different topics)."""
        if standing.credential is None and self._runtime.clock() - occurred_at < self._grace:
            raise RetryLater(f"credential {credential_id} not known yet")

    async def open_for(
        self, order: QueuedOrder, purpose: Literal["place_order", "reconcile", "cancel_order"]
    ) -> tuple[Venue, CredentialMaterial] | None:
        """Unseal the order's credential in memory (audited), or reject the order."""
        openings = await self.open_batch([order], purpose)
        return await self.settle(order, openings.get(order.order_id), purpose)

    async def open_batch(
        self,
        orders: Sequence[QueuedOrder],
        purpose: Literal["place_order", "reconcile", "cancel_order"],
    ) -> dict[str, Opening]:
        """Hand out the orders' sealed copies to be opened (`settle` opens each one).

        One statement for them all locks each order, reads its credential and its user's pause,
        and writes the audit event of each opening that may go ahead (committing by itself). A
        copy that then fails to open was still handed out to be opened, so that attempt stays
        in the audit log. Orders not known here are left out.
        """
        if not orders:
            return {}
        audits = {
            order.order_id: CredentialUnsealed(
                credential_id=order.credential_id,
                user_id=order.user_id,
                venue=order.venue,
                order_id=order.order_id,
                purpose=purpose,
            )
            for order in orders
        }
        async with self._runtime.single_statement("execution") as unit:
            for event in audits.values():
                unit.publish(event)
            audit = unit.pending_outbox()
            assert audit is not None
            found = await self._repo.open_order_credentials(
                unit.conn,
                list(audits),
                terminal=sorted(TERMINAL),
                refuse_paused=purpose == "place_order",
                simulated_venues=sorted(self._venues),
                audit=audit,
            )
            written = {
                audits[order_id].event_id: audit_id
                for order_id, (_standing, audit_id) in found.items()
                if audit_id is not None
            }
            unit.wrote_some(audit, written)
        return {
            order_id: Opening(standing=standing, audited=audit_id is not None)
            for order_id, (standing, audit_id) in found.items()
        }

    async def settle(
        self,
        order: QueuedOrder,
        opening: Opening | None,
        purpose: Literal["place_order", "reconcile", "cancel_order"],
    ) -> tuple[Venue, CredentialMaterial] | None:
        """Open the copy `open_batch` handed out for `order` (None: the order is not known
        here), or reject the order when it may not be opened."""
        if opening is None or opening.standing.status in TERMINAL:
            return None
        locked, audited = opening.standing, opening.audited
        if purpose == "place_order" and locked.paused:
            await self._outcomes.reject(order, "user_paused", "trading is paused for this user")
            return None
        stored = locked.credential
        material = self._unsealed(order, stored) if audited else None
        venue = None if material is None or stored is None else self.venue_for(stored)
        if material is not None and venue is not None:
            return venue, material
        if locked.status in RESTING:
            # The order is at the venue whatever our key says: it stays open, not rejected.
            log.warning("no usable credential to cancel", extra={"order": order.order_id})
        elif usable(stored, order.user_id, order.venue) and (not audited or material is not None):
            environment = stored.environment if stored else ""
            await self._outcomes.reject(
                order, "venue_unavailable", f"no {environment} {order.venue} client"
            )
        else:
            await self._outcomes.reject(
                order, "credential_unavailable", "the credential is revoked or unknown"
            )
        return None

    def _unsealed(
        self, order: QueuedOrder, stored: StoredCredential | None
    ) -> CredentialMaterial | None:
        if stored is None or stored.sealed is None:
            return None
        try:
            return unseal(self._runtime.keyring, stored.sealed, order.user_id, order.venue)
        except UnsealError:
            log.warning("credential did not open", extra={"order": order.order_id})
            return None

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
                from modules.execution.adapters.ccxt_venue.venue import CcxtVenue
            except ImportError:
                return None
            self._real[key] = CcxtVenue.for_environment(
                stored.venue, stored.environment, urls_override=self.ccxt_urls.get(stored.venue)
            )
        return self._real[key]

    async def close(self) -> None:
        for venue in self._real.values():
            if isinstance(venue, HoldsConnections):
                with contextlib.suppress(Exception):
                    await venue.close()
        self._real.clear()

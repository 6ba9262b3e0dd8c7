"""Verifying a credential for vault: what the venue says the key may do, what the account holds
and how many markets the platform can trade there (the app's Connect Exchange step shows them).

The key is opened (audited like every unseal) only for the calls that ask the venue. A verified
account's balances are also published as `BalanceChanged`, so sizing knows them before a fill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal

import msgspec

from modules.execution.contracts import BalanceChanged, CredentialUnsealed, CredentialVerified
from modules.execution.domain.venue import VenueFault, VenueRejected, VenueUnavailable
from modules.execution.ports import Venue, VerifiesCredentials
from modules.execution.repository.credentials import StoredCredential
from modules.execution.service.balances import read_balances, valued
from modules.execution.service.credentials import Credentials, usable
from modules.execution.service.order_events import event_id
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import RetryLater
from modules.kernel.sealing import UnsealError, unseal
from modules.vault.contracts import CredentialVerificationRequested


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    permissions: list[str] = []
    reason: str = ""
    balances: dict[str, Decimal] = {}
    markets: int = 0
    equity_usd: Decimal | None = None  # None: the venue reported no balances


def _refused(reason: str) -> Verdict:
    return Verdict(ok=False, reason=reason)


class CredentialVerification:
    def __init__(
        self, runtime: Runtime, venues: Mapping[str, Venue], credentials: Credentials
    ) -> None:
        self._runtime = runtime
        self._venues = venues
        self._credentials = credentials

    async def verify(self, event: CredentialVerificationRequested, uow: UnitOfWork) -> None:
        standing = await self._credentials.standing(
            uow.conn, event.credential_id, event.user_id, event.occurred_at
        )
        stored = standing.credential
        verdict = await self._verdict(event, stored, uow)
        uow.publish(
            CredentialVerified(
                event_id=event_id(event.request_id, "verified"),
                request_id=event.request_id,
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                ok=verdict.ok,
                permissions=verdict.permissions,
                reason=verdict.reason,
                balances=verdict.balances,
                markets=verdict.markets,
            )
        )
        if verdict.ok and verdict.equity_usd is not None:
            uow.publish(
                BalanceChanged(
                    event_id=event_id(event.request_id, "balances"),
                    user_id=event.user_id,
                    venue=event.venue,
                    credential_id=event.credential_id,
                    balances=verdict.balances,
                    equity_usd=verdict.equity_usd,
                )
            )

    async def _verdict(
        self,
        event: CredentialVerificationRequested,
        stored: StoredCredential | None,
        uow: UnitOfWork,
    ) -> Verdict:
        if not usable(stored, event.user_id, event.venue) or stored is None or not stored.sealed:
            return _refused("credential_unavailable")
        if stored.venue not in self._venues:
            return _refused("unknown_venue")
        try:
            material = unseal(self._runtime.keyring, stored.sealed, event.user_id, event.venue)
        except UnsealError:
            return _refused("credential_unavailable")
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
                return _refused("verification_unsupported")
            permissions = await asyncio.wait_for(venue.verify_credential(material), 10.0)
            balances = await read_balances(venue, material)
            equity = None if balances is None else await valued(venue, balances)
        except VenueRejected as refusal:
            return _refused(refusal.code)
        except (VenueFault, VenueUnavailable, TimeoutError) as fault:
            raise RetryLater(f"{event.venue} could not verify now") from fault
        finally:
            del mask, material
        return Verdict(
            ok=True,
            permissions=sorted(permissions),
            balances=balances or {},
            # Markets the platform can trade with this key there (ccxt's are known once the
            # venue's markets were loaded, which verifying did).
            markets=len(venue.symbols),
            equity_usd=equity,
        )

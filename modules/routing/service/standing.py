"""What routing learns of its users from other modules: their venue credentials (vault) and
their standing (identity's suspension and tier, execution's pause of their trading).

Suspension and reinstatement may arrive in either order: the later one by time wins (the
repository compares the events' times).
"""

from __future__ import annotations

from modules.execution.contracts import UserTradingPaused, UserTradingResumed
from modules.identity.contracts import UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.repository.credentials import CredentialRepository
from modules.routing.repository.risk import RiskRepository
from modules.vault.contracts import CredentialRevoked, CredentialStored


class Standing:
    def __init__(self, credentials: CredentialRepository, risk: RiskRepository) -> None:
        self._credentials = credentials
        self._risk = risk

    async def credential_stored(self, event: CredentialStored, uow: UnitOfWork) -> None:
        await self._credentials.store_credential(uow.conn, event)

    async def credential_revoked(self, event: CredentialRevoked, uow: UnitOfWork) -> None:
        await self._credentials.revoke_credential(uow.conn, event)

    async def trading_paused(self, event: UserTradingPaused, uow: UnitOfWork) -> None:
        await self._risk.set_paused(
            uow.conn, event.user_id, True, event.reason[:200], event.occurred_at
        )

    async def trading_resumed(self, event: UserTradingResumed, uow: UnitOfWork) -> None:
        await self._risk.set_paused(uow.conn, event.user_id, False, None, event.occurred_at)

    async def user_suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        await self._risk.set_suspended(
            uow.conn, event.user_id, True, event.reason[:500], event.occurred_at
        )

    async def user_reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._risk.set_suspended(uow.conn, event.user_id, False, None, event.occurred_at)

    async def user_tier_changed(self, event: UserTierChanged, uow: UnitOfWork) -> None:
        await self._risk.set_tier(uow.conn, event.user_id, event.tier, event.occurred_at)

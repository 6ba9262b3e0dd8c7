"""Identity's accounts as the dashboard needs them: tier and status for the admin overview, the
time zone a user's days (and daily summary) are cut in. Each event sets what it tells."""

from __future__ import annotations

from modules.dashboard.repository.accounts import AccountRepository
from modules.identity.contracts import (
    UserProfileChanged,
    UserRegistered,
    UserReinstated,
    UserSuspended,
    UserTierChanged,
)
from modules.kernel.outbox import UnitOfWork

AccountEvent = (
    UserRegistered | UserSuspended | UserReinstated | UserTierChanged | UserProfileChanged
)


class Accounts:
    def __init__(self, accounts: AccountRepository) -> None:
        self._accounts = accounts

    async def on_account_event(self, event: AccountEvent, uow: UnitOfWork) -> None:
        changes: dict[str, object]
        match event:
            case UserRegistered():
                changes = {
                    "role": event.role,
                    "tier": event.tier,
                    "registered_at": event.occurred_at,
                }
            case UserSuspended():
                changes = {"status": "suspended"}
            case UserReinstated():
                changes = {"status": "active"}
            case UserTierChanged():
                changes = {"tier": event.tier}
            case UserProfileChanged():
                changes = {"timezone": event.timezone}
        await self._accounts.account_changed(uow.conn, event.user_id, event.occurred_at, **changes)

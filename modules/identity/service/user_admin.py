"""Admin user management: suspend, reinstate, change tier.

Callers pass the admin's own account, already checked to be active; the admin role, an enrolled
second factor and a fresh proof of it are checked before that by the `admin_step_up` dependency
(`modules.kernel.auth.provide_admin_step_up`). What an admin sees of accounts is the read side
(views.py). Suspending and reinstating also keep the user's token revocation marker
(`runtime.revocations`) in step, so access tokens follow the account's status on every replica.
"""

from __future__ import annotations

import logging
import uuid

from modules.identity.contracts import Tier, UserReinstated, UserSuspended, UserTierChanged
from modules.identity.domain.accounts import suspension_reason
from modules.identity.repository.users import UserRow
from modules.identity.service.part import IdentityPart

log = logging.getLogger("nija.identity")


class UserAdmin(IdentityPart):
    async def suspend(self, admin: UserRow, user_id: uuid.UUID, reason: str) -> None:
        """Suspend the account and end its sessions; suspending a suspended one changes nothing.

        Its access tokens are refused on every replica from the revocation marker, written
        before the account row changes so that a failure between the two never leaves them
        alive; an unknown account gets no marker.
        """
        reason = suspension_reason(reason, admin_id=admin.id, user_id=user_id)
        if await self._repo.users.by_id(user_id) is not None:
            await self._runtime.revocations.suspend(str(user_id))
        now = self._now()
        async with self._uow() as uow:
            changed = await self._repo.users.change_status(
                user_id, status="suspended", reason=reason, now=now
            )
            if changed is not None:
                await self._repo.sessions.revoke(user_id, reason="suspended", now=now)
                uow.publish(
                    UserSuspended(user_id=str(user_id), reason=reason, actor_id=str(admin.id))
                )
        if changed is not None:
            log.info("user suspended", extra={"user_id": str(user_id), "by": str(admin.id)})

    async def reinstate(self, admin: UserRow, user_id: uuid.UUID) -> None:
        """Make the account active again. Its old access tokens stay dead: the user signs in.

        The marker is lifted even when the account was already active, so reinstating again
        repairs a marker left behind by a suspension whose transaction failed.
        """
        async with self._uow() as uow:
            changed = await self._repo.users.change_status(
                user_id, status="active", reason="", now=self._now()
            )
            if changed is not None:
                uow.publish(UserReinstated(user_id=str(user_id), actor_id=str(admin.id)))
        await self._runtime.revocations.reinstate(str(user_id))

    async def change_tier(self, admin: UserRow, user_id: uuid.UUID, tier: Tier) -> None:
        async with self._uow() as uow:
            changed = await self._repo.users.change_tier(user_id, tier, self._now())
            if changed is not None:
                uow.publish(
                    UserTierChanged(user_id=str(user_id), tier=tier, actor_id=str(admin.id))
                )

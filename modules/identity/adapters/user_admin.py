"""Admin user management: search, view, suspend, reinstate, change tier.

Callers pass the admin's own account, already checked to be active; the admin role itself is
checked before that by the `admin` dependency (`modules.kernel.auth.provide_admin`).
"""

from __future__ import annotations

import logging
import uuid

import msgspec

from modules.identity.adapters.common import CONTROL, IdentityPart
from modules.identity.adapters.rows import UserRow
from modules.identity.contracts import Tier, UserReinstated, UserSuspended, UserTierChanged
from modules.kernel.errors import ProblemError

log = logging.getLogger("nija.identity")


class AdminView(msgspec.Struct, frozen=True, kw_only=True):
    user: UserRow
    active_sessions: int
    devices: int


class UserAdmin(IdentityPart):
    async def search(
        self, *, query: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[UserRow], int]:
        text = CONTROL.sub("", query).strip().lower() if query else None
        return await self._repo.search(query=text, status=status, limit=limit, offset=offset)

    async def view(self, user_id: uuid.UUID) -> AdminView:
        user = await self._repo.by_id(user_id)
        if user is None:
            raise ProblemError(404, "user_not_found", "No such user")
        sessions = await self._repo.sessions.live_sessions(user.id, self._now())
        devices = await self._repo.second_factor.devices(user.id)
        return AdminView(user=user, active_sessions=len(sessions), devices=len(devices))

    async def suspend(self, admin: UserRow, user_id: uuid.UUID, reason: str) -> AdminView:
        reason = CONTROL.sub("", reason).strip()
        if not reason:
            raise ProblemError(422, "reason_required", "Say why the account is suspended")
        if admin.id == user_id:
            raise ProblemError(409, "cannot_suspend_self", "An admin cannot suspend themselves")
        now = self._now()
        async with self._uow() as uow:
            changed = await self._repo.change_status(
                user_id, status="suspended", reason=reason, now=now
            )
            if changed is not None:
                await self._repo.sessions.revoke_sessions(user_id, reason="suspended", now=now)
                uow.publish(UserSuspended(user_id=str(user_id), reason=reason))
        if changed is not None:
            log.info("user suspended", extra={"user_id": str(user_id), "by": str(admin.id)})
        return await self.view(user_id)

    async def reinstate(self, user_id: uuid.UUID) -> AdminView:
        async with self._uow() as uow:
            changed = await self._repo.change_status(
                user_id, status="active", reason="", now=self._now()
            )
            if changed is not None:
                uow.publish(UserReinstated(user_id=str(user_id)))
        return await self.view(user_id)

    async def change_tier(self, user_id: uuid.UUID, tier: Tier) -> AdminView:
        async with self._uow() as uow:
            changed = await self._repo.change_tier(user_id, tier, self._now())
            if changed is not None:
                uow.publish(UserTierChanged(user_id=str(user_id), tier=tier))
        return await self.view(user_id)

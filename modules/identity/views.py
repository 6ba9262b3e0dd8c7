"""Identity's read side: what the API shows of accounts, sessions, devices and profiles.

Callers check the caller's own account first (`IdentityService.active_user`); these reads then
go straight from the tables to the response bodies.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from modules.identity.domain.accounts import search_text
from modules.identity.schemas import (
    AdminUserDetail,
    AdminUserOut,
    DeviceOut,
    ProfileOut,
    SessionOut,
    UserOut,
    UserPage,
    UserStatus,
)
from modules.identity.tables import Device, Session, User
from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused

_USER = (
    User.id,
    User.email,
    User.role,
    User.tier,
    User.created_at,
    User.status,
    User.suspended_at,
    User.suspended_reason,
    User.display_name,
    User.timezone,
    User.locale,
    User.totp_enabled_at,
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _admin_user(row: dict[str, Any]) -> AdminUserOut:
    return AdminUserOut(
        id=str(row["id"]),
        email=row["email"],
        role=row["role"],
        tier=row["tier"],
        status=cast(UserStatus, row["status"]),
        created_at=row["created_at"],
        suspended_at=row["suspended_at"],
        suspended_reason=row["suspended_reason"],
        two_factor_enabled=row["totp_enabled_at"] is not None,
    )


def _device(row: dict[str, Any]) -> DeviceOut:
    return DeviceOut(
        id=str(row["id"]),
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )


def _live_device(user_id: uuid.UUID) -> Any:
    return (Device.user_id == user_id) & Device.revoked_at.is_null()


class IdentityViews:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def _user(self, user_id: uuid.UUID) -> dict[str, Any]:
        row = await User.select(*_USER).where(User.id == user_id).first()
        if row is None:
            raise Refused(Kind.NOT_FOUND, "user_not_found", "No such user")
        return dict(row)

    async def user(self, user_id: uuid.UUID) -> UserOut:
        row = await self._user(user_id)
        return UserOut(
            id=str(row["id"]),
            email=row["email"],
            role=row["role"],
            tier=row["tier"],
            created_at=row["created_at"],
        )

    async def profile(self, user_id: uuid.UUID) -> ProfileOut:
        row = await self._user(user_id)
        return ProfileOut(
            id=str(row["id"]),
            email=row["email"],
            role=row["role"],
            tier=row["tier"],
            display_name=row["display_name"],
            timezone=row["timezone"],
            locale=row["locale"],
            two_factor_enabled=row["totp_enabled_at"] is not None,
            devices=await Device.count().where(_live_device(user_id)),
        )

    async def sessions(self, user_id: uuid.UUID) -> list[SessionOut]:
        """The user's live sessions, most recently used first."""
        rows = (
            await Session.select()
            .where(
                (Session.user_id == user_id)
                & Session.revoked_at.is_null()
                & (Session.expires_at > self._runtime.clock())
            )
            .order_by(Session.last_used_at, ascending=False)
        )
        return [
            SessionOut(
                id=str(row["id"]),
                method=row["method"],
                created_at=row["created_at"],
                last_used_at=row["last_used_at"],
                expires_at=row["expires_at"],
                user_agent=row["user_agent"],
                ip=row["ip"],
            )
            for row in rows
        ]

    async def devices(self, user_id: uuid.UUID) -> list[DeviceOut]:
        """The user's devices that are not revoked, oldest first."""
        rows = await Device.select().where(_live_device(user_id)).order_by(Device.created_at)
        return [_device(row) for row in rows]

    async def device(self, device_id: uuid.UUID) -> DeviceOut:
        row = await Device.select().where(Device.id == device_id).first()
        if row is None:
            raise Refused(Kind.NOT_FOUND, "device_not_found", "No such device")
        return _device(row)

    # Admin ----------------------------------------------------------------------------------
    async def users(
        self,
        *,
        query: str | None,
        status: str | None,
        tier: str | None = None,
        limit: int,
        offset: int,
    ) -> UserPage:
        """Accounts whose address contains `query` (and of `status` and `tier` when given),
        oldest first, a page at a time."""
        where: Any = User.id.is_not_null()
        text = search_text(query)
        if text:
            where = where & User.email.ilike(_like_pattern(text))
        if status:
            where = where & (User.status == status)
        if tier:
            where = where & (User.tier == tier)
        rows = (
            await User.select(*_USER)
            .where(where)
            .order_by(User.created_at)
            .order_by(User.id)
            .limit(limit)
            .offset(offset)
        )
        total = await User.count().where(where)
        return UserPage(
            items=[_admin_user(row) for row in rows], total=total, limit=limit, offset=offset
        )

    async def admin_user(self, user_id: uuid.UUID) -> AdminUserDetail:
        row = await self._user(user_id)
        sessions = await Session.count().where(
            (Session.user_id == user_id)
            & Session.revoked_at.is_null()
            & (Session.expires_at > self._runtime.clock())
        )
        return AdminUserDetail(
            user=_admin_user(row),
            display_name=row["display_name"],
            active_sessions=sessions,
            devices=await Device.count().where(_live_device(user_id)),
        )

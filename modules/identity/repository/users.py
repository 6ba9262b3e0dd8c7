"""Accounts: the users table, except its second-factor columns (see totp.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from modules.identity.contracts import Role, Tier
from modules.identity.tables import User


class UserRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    email: str
    role: Role
    tier: Tier
    created_at: datetime
    status: str = "active"
    suspended_at: datetime | None = None
    suspended_reason: str = ""
    display_name: str = ""
    timezone: str = "UTC"
    locale: str = "en"
    totp_enabled_at: datetime | None = None

    @property
    def suspended(self) -> bool:
        return self.status == "suspended"


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """A user with its password hash: only for verifying a login."""

    user: UserRow
    password_hash: str


_NAMES = tuple(field.name for field in msgspec.structs.fields(UserRow))
_COLUMNS = tuple(getattr(User, name) for name in _NAMES)


def _user(row: dict[str, Any]) -> UserRow:
    return msgspec.convert({name: row[name] for name in _NAMES}, UserRow)


class UserRepository:
    async def insert(
        self, *, email: str, password_hash: str, role: Role, tier: Tier, now: datetime
    ) -> UserRow | None:
        """The new user, or None when the email is already taken (no exception, no abort)."""
        user = User(
            email=email,
            password_hash=password_hash,
            role=role,
            tier=tier,
            created_at=now,
            updated_at=now,
        )
        rows = (
            await User.insert(user)
            .on_conflict(target=User.email, action="DO NOTHING")
            .returning(*_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def by_id(self, user_id: uuid.UUID) -> UserRow | None:
        row = await User.select(*_COLUMNS).where(User.id == user_id).first()
        return _user(row) if row else None

    async def credentials_by_email(self, email: str) -> Credentials | None:
        row = await User.select(*_COLUMNS, User.password_hash).where(User.email == email).first()
        if row is None:
            return None
        return Credentials(user=_user(row), password_hash=row["password_hash"])

    async def password_hash(self, user_id: uuid.UUID) -> str | None:
        row = await User.select(User.password_hash).where(User.id == user_id).first()
        return row["password_hash"] if row else None

    async def set_password_hash(
        self, user_id: uuid.UUID, password_hash: str, now: datetime
    ) -> None:
        await User.update({User.password_hash: password_hash, User.updated_at: now}).where(
            User.id == user_id
        )

    async def promote_to_admin(self, email: str, now: datetime) -> UserRow | None:
        rows = (
            await User.update({User.role: "admin", User.updated_at: now})
            .where(User.email == email)
            .returning(*_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def change_status(
        self, user_id: uuid.UUID, *, status: str, reason: str, now: datetime
    ) -> UserRow | None:
        """The updated user if its status changed, None if it already had that status."""
        rows = (
            await User.update(
                {
                    User.status: status,
                    User.suspended_at: now if status == "suspended" else None,
                    User.suspended_reason: reason,
                    User.updated_at: now,
                }
            )
            .where((User.id == user_id) & (User.status != status))
            .returning(*_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def change_tier(self, user_id: uuid.UUID, tier: Tier, now: datetime) -> UserRow | None:
        rows = (
            await User.update({User.tier: tier, User.updated_at: now})
            .where((User.id == user_id) & (User.tier != tier))
            .returning(*_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def update_profile(
        self, user_id: uuid.UUID, values: dict[str, str], now: datetime
    ) -> UserRow | None:
        """The user as the update left it (None if there is no such user)."""
        columns = {getattr(User, name): value for name, value in values.items()}
        rows = (
            await User.update({**columns, User.updated_at: now})
            .where(User.id == user_id)
            .returning(*_COLUMNS)
        )
        return _user(rows[0]) if rows else None

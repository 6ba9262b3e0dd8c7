"""Identity queries. Called inside a unit of work, Piccolo joins its transaction automatically."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from modules.identity.contracts import Role, Tier
from modules.identity.tables import RefreshToken, User

_PUBLIC_COLUMNS = (User.id, User.email, User.role, User.tier, User.created_at)


class UserRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    email: str
    role: Role
    tier: Tier
    created_at: datetime


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    """A user with its password hash: only for verifying a login."""

    user: UserRow
    password_hash: str


def _user(row: dict[str, Any]) -> UserRow:
    return msgspec.convert(
        {name: row[name] for name in ("id", "email", "role", "tier", "created_at")}, UserRow
    )


class IdentityRepository:
    async def insert_user(
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
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def by_id(self, user_id: uuid.UUID) -> UserRow | None:
        row = await User.select(*_PUBLIC_COLUMNS).where(User.id == user_id).first()
        return _user(row) if row else None

    async def credentials_by_email(self, email: str) -> Credentials | None:
        row = (
            await User.select(*_PUBLIC_COLUMNS, User.password_hash)
            .where(User.email == email)
            .first()
        )
        if row is None:
            return None
        return Credentials(user=_user(row), password_hash=row["password_hash"])

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
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def page(self, *, limit: int, offset: int) -> tuple[list[UserRow], int]:
        rows = (
            await User.select(*_PUBLIC_COLUMNS)
            .order_by(User.created_at)
            .order_by(User.id)
            .limit(limit)
            .offset(offset)
        )
        total = await User.count()
        return [_user(row) for row in rows], total

    # Refresh tokens -------------------------------------------------------------------------
    async def add_refresh_token(
        self, *, user_id: uuid.UUID, token_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await RefreshToken.insert(
            RefreshToken(
                user_id=user_id, token_hash=token_hash, created_at=now, expires_at=expires_at
            )
        )

    async def consume_refresh_token(self, token_hash: str, now: datetime) -> uuid.UUID | None:
        """Revoke a live token and return its owner; one caller wins if two race for it."""
        rows = (
            await RefreshToken.update({RefreshToken.revoked_at: now})
            .where(
                (RefreshToken.token_hash == token_hash)
                & RefreshToken.revoked_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .returning(RefreshToken.user_id)
        )
        return rows[0]["user_id"] if rows else None

    async def owner_of_revoked(self, token_hash: str) -> uuid.UUID | None:
        row = (
            await RefreshToken.select(RefreshToken.user_id)
            .where((RefreshToken.token_hash == token_hash) & RefreshToken.revoked_at.is_not_null())
            .first()
        )
        return row["user_id"] if row else None

    async def revoke_all_refresh_tokens(self, user_id: uuid.UUID, now: datetime) -> None:
        await RefreshToken.update({RefreshToken.revoked_at: now}).where(
            (RefreshToken.user_id == user_id) & RefreshToken.revoked_at.is_null()
        )

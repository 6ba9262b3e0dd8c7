"""Identity queries. Called inside a unit of work, Piccolo joins its transaction automatically.

Single-use things (refresh tokens, challenges, recovery codes, TOTP steps) are spent with one
conditional UPDATE ... RETURNING, so of two concurrent requests exactly one wins, no locks held.

This file holds the account queries (users, login failures) and is the one entry point to the
rest: session and refresh-token queries are `IdentityRepository.sessions`, second-factor ones
(TOTP, recovery codes, challenges, devices) `IdentityRepository.second_factor`, both in adapters/.
The row types are re-exported from here, where the rest of the module imports them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from modules.identity.adapters.rows import (
    PUBLIC_COLUMNS,
    ChallengeRow,
    Credentials,
    DeviceRow,
    SessionRow,
    UserRow,
    user_row,
)
from modules.identity.adapters.second_factor_queries import SecondFactorQueries
from modules.identity.adapters.session_queries import SessionQueries
from modules.identity.contracts import Role, Tier
from modules.identity.tables import LoginFailure, User

__all__ = [
    "ChallengeRow",
    "Credentials",
    "DeviceRow",
    "IdentityRepository",
    "SessionRow",
    "UserRow",
]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class IdentityRepository:
    def __init__(self) -> None:
        self.sessions = SessionQueries()
        self.second_factor = SecondFactorQueries()

    # Users ----------------------------------------------------------------------------------
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
            .returning(*PUBLIC_COLUMNS)
        )
        return user_row(rows[0]) if rows else None

    async def by_id(self, user_id: uuid.UUID) -> UserRow | None:
        row = await User.select(*PUBLIC_COLUMNS).where(User.id == user_id).first()
        return user_row(row) if row else None

    async def credentials_by_email(self, email: str) -> Credentials | None:
        row = (
            await User.select(*PUBLIC_COLUMNS, User.password_hash)
            .where(User.email == email)
            .first()
        )
        if row is None:
            return None
        return Credentials(user=user_row(row), password_hash=row["password_hash"])

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
            .returning(*PUBLIC_COLUMNS)
        )
        return user_row(rows[0]) if rows else None

    async def search(
        self, *, query: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[UserRow], int]:
        where: Any = User.id.is_not_null()
        if query:
            where = where & User.email.ilike(_like_pattern(query.lower()))
        if status:
            where = where & (User.status == status)
        rows = (
            await User.select(*PUBLIC_COLUMNS)
            .where(where)
            .order_by(User.created_at)
            .order_by(User.id)
            .limit(limit)
            .offset(offset)
        )
        total = await User.count().where(where)
        return [user_row(row) for row in rows], total

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
            .returning(*PUBLIC_COLUMNS)
        )
        return user_row(rows[0]) if rows else None

    async def change_tier(self, user_id: uuid.UUID, tier: Tier, now: datetime) -> UserRow | None:
        rows = (
            await User.update({User.tier: tier, User.updated_at: now})
            .where((User.id == user_id) & (User.tier != tier))
            .returning(*PUBLIC_COLUMNS)
        )
        return user_row(rows[0]) if rows else None

    async def update_profile(
        self, user_id: uuid.UUID, values: dict[str, str], now: datetime
    ) -> UserRow | None:
        columns = {getattr(User, name): value for name, value in values.items()}
        rows = (
            await User.update({**columns, User.updated_at: now})
            .where(User.id == user_id)
            .returning(*PUBLIC_COLUMNS)
        )
        return user_row(rows[0]) if rows else None

    # Login failures -------------------------------------------------------------------------
    async def add_failure(self, *, email: str, ip: str, now: datetime) -> None:
        await LoginFailure.insert(LoginFailure(email=email, ip=ip, at=now))

    async def failures_for_email(self, email: str, since: datetime) -> list[datetime]:
        """Failure times for the address since `since`, newest first."""
        rows = (
            await LoginFailure.select(LoginFailure.at)
            .where((LoginFailure.email == email) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
        )
        return [row["at"] for row in rows]

    async def failures_for_ip(self, ip: str, since: datetime) -> list[datetime]:
        rows = (
            await LoginFailure.select(LoginFailure.at)
            .where((LoginFailure.ip == ip) & (LoginFailure.at > since))
            .order_by(LoginFailure.at, ascending=False)
        )
        return [row["at"] for row in rows]

    async def clear_failures(self, email: str) -> None:
        await LoginFailure.delete().where(LoginFailure.email == email)

    async def forget_failures_before(self, cutoff: datetime) -> None:
        await LoginFailure.delete().where(LoginFailure.at < cutoff)

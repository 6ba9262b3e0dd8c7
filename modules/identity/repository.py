"""Identity queries. Called inside a unit of work, Piccolo joins its transaction automatically.

Single-use things (refresh tokens, challenges, recovery codes, TOTP steps) are spent with one
conditional UPDATE ... RETURNING, so of two concurrent requests exactly one wins, no locks held.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from modules.identity.contracts import Role, Tier
from modules.identity.tables import (
    Device,
    LoginChallenge,
    LoginFailure,
    RecoveryCode,
    RefreshToken,
    Session,
    User,
)

_PUBLIC_COLUMNS = (
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
_PUBLIC_NAMES = tuple(c._meta.name for c in _PUBLIC_COLUMNS)


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


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    method: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    second_factor_at: datetime | None
    revoked_at: datetime | None
    user_agent: str
    ip: str


class ChallengeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    purpose: str
    device_id: uuid.UUID | None
    nonce: str
    expires_at: datetime
    used_at: datetime | None
    attempts: int
    user_agent: str
    ip: str


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    public_key: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _user(row: dict[str, Any]) -> UserRow:
    return msgspec.convert({name: row[name] for name in _PUBLIC_NAMES}, UserRow)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class IdentityRepository:
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
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def search(
        self, *, query: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[UserRow], int]:
        where: Any = User.id.is_not_null()
        if query:
            where = where & User.email.ilike(_like_pattern(query.lower()))
        if status:
            where = where & (User.status == status)
        rows = (
            await User.select(*_PUBLIC_COLUMNS)
            .where(where)
            .order_by(User.created_at)
            .order_by(User.id)
            .limit(limit)
            .offset(offset)
        )
        total = await User.count().where(where)
        return [_user(row) for row in rows], total

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
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def change_tier(self, user_id: uuid.UUID, tier: Tier, now: datetime) -> UserRow | None:
        rows = (
            await User.update({User.tier: tier, User.updated_at: now})
            .where((User.id == user_id) & (User.tier != tier))
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    async def update_profile(
        self, user_id: uuid.UUID, values: dict[str, str], now: datetime
    ) -> UserRow | None:
        columns = {getattr(User, name): value for name, value in values.items()}
        rows = (
            await User.update({**columns, User.updated_at: now})
            .where(User.id == user_id)
            .returning(*_PUBLIC_COLUMNS)
        )
        return _user(rows[0]) if rows else None

    # TOTP -----------------------------------------------------------------------------------
    async def set_pending_totp(self, user_id: uuid.UUID, sealed: str) -> None:
        await User.update({User.totp_pending_secret: sealed}).where(User.id == user_id)

    async def totp_secrets(self, user_id: uuid.UUID) -> tuple[str | None, str | None]:
        """(active sealed secret, pending sealed secret)."""
        row = (
            await User.select(User.totp_secret, User.totp_pending_secret)
            .where(User.id == user_id)
            .first()
        )
        if row is None:
            return None, None
        return row["totp_secret"], row["totp_pending_secret"]

    async def enable_totp(self, user_id: uuid.UUID, pending: str, step: int, now: datetime) -> bool:
        rows = (
            await User.update(
                {
                    User.totp_secret: pending,
                    User.totp_pending_secret: None,
                    User.totp_enabled_at: now,
                    User.totp_last_step: step,
                    User.updated_at: now,
                }
            )
            .where(
                (User.id == user_id)
                & (User.totp_pending_secret == pending)
                & User.totp_secret.is_null()
            )
            .returning(User.id)
        )
        return bool(rows)

    async def spend_totp_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as used; False when it (or a later one) was already used: a replay."""
        rows = (
            await User.update({User.totp_last_step: step})
            .where((User.id == user_id) & (User.totp_last_step < step))
            .returning(User.id)
        )
        return bool(rows)

    async def disable_totp(self, user_id: uuid.UUID, now: datetime) -> None:
        await User.update(
            {
                User.totp_secret: None,
                User.totp_pending_secret: None,
                User.totp_enabled_at: None,
                User.updated_at: now,
            }
        ).where(User.id == user_id)
        await RecoveryCode.delete().where(RecoveryCode.user_id == user_id)

    async def replace_recovery_codes(
        self, user_id: uuid.UUID, digests: list[str], now: datetime
    ) -> None:
        await RecoveryCode.delete().where(RecoveryCode.user_id == user_id)
        await RecoveryCode.insert(
            *[RecoveryCode(user_id=user_id, code_hash=d, created_at=now) for d in digests]
        )

    async def spend_recovery_code(self, user_id: uuid.UUID, digest: str, now: datetime) -> bool:
        rows = (
            await RecoveryCode.update({RecoveryCode.used_at: now})
            .where(
                (RecoveryCode.user_id == user_id)
                & (RecoveryCode.code_hash == digest)
                & RecoveryCode.used_at.is_null()
            )
            .returning(RecoveryCode.id)
        )
        return bool(rows)

    # Sessions and refresh tokens ------------------------------------------------------------
    async def create_session(self, session: SessionRow) -> None:
        await Session.insert(Session(**msgspec.structs.asdict(session)))

    async def session(self, session_id: uuid.UUID) -> SessionRow | None:
        row = await Session.select().where(Session.id == session_id).first()
        return msgspec.convert(row, SessionRow) if row else None

    async def touch_session(
        self, session_id: uuid.UUID, now: datetime, expires_at: datetime
    ) -> None:
        await Session.update({Session.last_used_at: now, Session.expires_at: expires_at}).where(
            Session.id == session_id
        )

    async def live_sessions(self, user_id: uuid.UUID, now: datetime) -> list[SessionRow]:
        rows = (
            await Session.select()
            .where(
                (Session.user_id == user_id)
                & Session.revoked_at.is_null()
                & (Session.expires_at > now)
            )
            .order_by(Session.last_used_at, ascending=False)
        )
        return [msgspec.convert(row, SessionRow) for row in rows]

    async def revoke_sessions(
        self,
        user_id: uuid.UUID,
        *,
        reason: str,
        now: datetime,
        session_id: uuid.UUID | None = None,
    ) -> int:
        """Revoke one session of the user (or all of them) and every token of the family."""
        where: Any = (Session.user_id == user_id) & Session.revoked_at.is_null()
        if session_id is not None:
            where = where & (Session.id == session_id)
        rows = (
            await Session.update({Session.revoked_at: now, Session.revoked_reason: reason})
            .where(where)
            .returning(Session.id)
        )
        token_where: Any = (RefreshToken.user_id == user_id) & RefreshToken.revoked_at.is_null()
        if session_id is not None:
            token_where = token_where & (RefreshToken.session_id == session_id)
        await RefreshToken.update({RefreshToken.revoked_at: now}).where(token_where)
        return len(rows)

    async def add_refresh_token(
        self,
        *,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        token_hash: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await RefreshToken.insert(
            RefreshToken(
                user_id=user_id,
                session_id=session_id,
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def consume_refresh_token(
        self, token_hash: str, now: datetime
    ) -> tuple[uuid.UUID, uuid.UUID | None] | None:
        """Revoke a live token; (owner, session) to the one caller that wins a race for it."""
        rows = (
            await RefreshToken.update({RefreshToken.revoked_at: now})
            .where(
                (RefreshToken.token_hash == token_hash)
                & RefreshToken.revoked_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .returning(RefreshToken.user_id, RefreshToken.session_id)
        )
        return (rows[0]["user_id"], rows[0]["session_id"]) if rows else None

    async def spent_token(self, token_hash: str) -> tuple[uuid.UUID, uuid.UUID | None] | None:
        row = (
            await RefreshToken.select(RefreshToken.user_id, RefreshToken.session_id)
            .where((RefreshToken.token_hash == token_hash) & RefreshToken.revoked_at.is_not_null())
            .first()
        )
        return (row["user_id"], row["session_id"]) if row else None

    async def live_token(self, token_hash: str, now: datetime) -> tuple[uuid.UUID, Any] | None:
        row = (
            await RefreshToken.select(RefreshToken.user_id, RefreshToken.session_id)
            .where(
                (RefreshToken.token_hash == token_hash)
                & RefreshToken.revoked_at.is_null()
                & (RefreshToken.expires_at > now)
            )
            .first()
        )
        return (row["user_id"], row["session_id"]) if row else None

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

    # Challenges -----------------------------------------------------------------------------
    async def add_challenge(self, challenge: ChallengeRow, now: datetime) -> None:
        values = msgspec.structs.asdict(challenge)
        await LoginChallenge.insert(LoginChallenge(**values, created_at=now))

    async def live_challenge(
        self, challenge_id: uuid.UUID, purpose: str, now: datetime
    ) -> ChallengeRow | None:
        row = (
            await LoginChallenge.select(*_challenge_columns())
            .where(
                (LoginChallenge.id == challenge_id)
                & (LoginChallenge.purpose == purpose)
                & LoginChallenge.used_at.is_null()
                & (LoginChallenge.expires_at > now)
            )
            .first()
        )
        return msgspec.convert(row, ChallengeRow) if row else None

    async def spend_challenge(self, challenge_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await LoginChallenge.update({LoginChallenge.used_at: now})
            .where((LoginChallenge.id == challenge_id) & LoginChallenge.used_at.is_null())
            .returning(LoginChallenge.id)
        )
        return bool(rows)

    async def count_challenge_miss(
        self, challenge_id: uuid.UUID, *, max_attempts: int, now: datetime
    ) -> None:
        """One more wrong answer; the challenge is spent once it has had `max_attempts`."""
        await LoginChallenge.update({LoginChallenge.attempts: LoginChallenge.attempts + 1}).where(
            LoginChallenge.id == challenge_id
        )
        await LoginChallenge.update({LoginChallenge.used_at: now}).where(
            (LoginChallenge.id == challenge_id) & (LoginChallenge.attempts >= max_attempts)
        )

    # Devices --------------------------------------------------------------------------------
    async def add_device(self, device: DeviceRow) -> None:
        await Device.insert(Device(**msgspec.structs.asdict(device)))

    async def devices(self, user_id: uuid.UUID) -> list[DeviceRow]:
        rows = (
            await Device.select()
            .where((Device.user_id == user_id) & Device.revoked_at.is_null())
            .order_by(Device.created_at)
        )
        return [msgspec.convert(row, DeviceRow) for row in rows]

    async def device(self, device_id: uuid.UUID) -> DeviceRow | None:
        row = (
            await Device.select()
            .where((Device.id == device_id) & Device.revoked_at.is_null())
            .first()
        )
        return msgspec.convert(row, DeviceRow) if row else None

    async def touch_device(self, device_id: uuid.UUID, now: datetime) -> None:
        await Device.update({Device.last_used_at: now}).where(Device.id == device_id)

    async def revoke_device(self, user_id: uuid.UUID, device_id: uuid.UUID, now: datetime) -> bool:
        rows = (
            await Device.update({Device.revoked_at: now})
            .where(
                (Device.id == device_id) & (Device.user_id == user_id) & Device.revoked_at.is_null()
            )
            .returning(Device.id)
        )
        return bool(rows)

    async def has_devices(self, user_id: uuid.UUID) -> bool:
        count = await Device.count().where(
            (Device.user_id == user_id) & Device.revoked_at.is_null()
        )
        return int(count) > 0


def _challenge_columns() -> tuple[Any, ...]:
    return tuple(getattr(LoginChallenge, f.name) for f in msgspec.structs.fields(ChallengeRow))

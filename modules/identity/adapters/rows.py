"""The rows identity's queries return (re-exported by repository.py, where callers import them).

They live here, below repository.py, so the query groups in this package can build them without
importing repository.py, which composes those groups.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from modules.identity.contracts import Role, Tier
from modules.identity.tables import LoginChallenge, User

PUBLIC_COLUMNS = (
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
_PUBLIC_NAMES = tuple(c._meta.name for c in PUBLIC_COLUMNS)


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


def user_row(row: dict[str, Any]) -> UserRow:
    return msgspec.convert({name: row[name] for name in _PUBLIC_NAMES}, UserRow)


def challenge_columns() -> tuple[Any, ...]:
    return tuple(getattr(LoginChallenge, f.name) for f in msgspec.structs.fields(ChallengeRow))

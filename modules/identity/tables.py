"""Identity tables, all in the `identity` Postgres schema."""

from __future__ import annotations

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.constraints import Check
from piccolo.table import Table

from modules.kernel.db import ENGINE
from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("identity")


class User(Table, tablename="users", schema="identity", db=ENGINE):
    id = UUID(primary_key=True)
    # Stored normalised (trimmed, lower-case), so the unique index is case-insensitive in effect.
    email = Varchar(length=254, unique=True)
    password_hash = Text(secret=True)
    role = Varchar(length=16, default="trader")
    tier = Varchar(length=16, default="basic")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    status = Varchar(length=16, default="active")
    suspended_at = Timestamptz(null=True, default=None)
    suspended_reason = Varchar(length=500, default="")
    display_name = Varchar(length=80, default="")
    timezone = Varchar(length=64, default="UTC")
    locale = Varchar(length=35, default="en")
    # TOTP seeds are sealed with the transit keyring (bound to the user id): the server must
    # read them back to check codes, so they cannot be hashed, and a dump alone does not leak them.
    totp_secret = Text(null=True, default=None, secret=True)
    totp_pending_secret = Text(null=True, default=None, secret=True)
    totp_enabled_at = Timestamptz(null=True, default=None)
    # The last TOTP time step accepted: a code is good once, never replayed within its window.
    totp_last_step = BigInt(default=0)
    known_role = Check("role IN ('trader', 'admin')")
    known_tier = Check("tier IN ('basic', 'pro', 'enterprise')")
    known_status = Check("status IN ('active', 'suspended')")


class Session(Table, tablename="sessions", schema="identity", db=ENGINE):
    """One login and every refresh token rotated from it: the family revoked as a whole."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    method = Varchar(length=16, default="password")
    created_at = Timestamptz()
    last_used_at = Timestamptz()
    expires_at = Timestamptz()
    second_factor_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_reason = Varchar(length=32, default="")
    user_agent = Varchar(length=200, default="")
    ip = Varchar(length=64, default="")


class RefreshToken(Table, tablename="refresh_tokens", schema="identity", db=ENGINE):
    """Refresh tokens by SHA-256 digest only: a database leak yields no usable token."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # Null only for tokens issued before sessions existed.
    session_id = ForeignKey(references=Session, on_delete=OnDelete.cascade, index=True, null=True)


class LoginFailure(Table, tablename="login_failures", schema="identity", db=ENGINE):
    """Failed logins by the address typed (known or not) and by client IP, for lockouts."""

    id = UUID(primary_key=True)
    email = Varchar(length=320, index=True)
    ip = Varchar(length=64, index=True)
    at = Timestamptz(index=True)


class LoginChallenge(Table, tablename="login_challenges", schema="identity", db=ENGINE):
    """A pending second-factor login or a device-signature challenge: short-lived, one use."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    purpose = Varchar(length=16)
    device_id = UUID(null=True, default=None)
    nonce = Varchar(length=64, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    user_agent = Varchar(length=200, default="")
    ip = Varchar(length=64, default="")
    known_purpose = Check("purpose IN ('second_factor', 'device')")


class Device(Table, tablename="devices", schema="identity", db=ENGINE):
    """A phone's P-256 public key; its private key never leaves the phone's secure enclave."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    name = Varchar(length=80)
    public_key = Text()
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table, tablename="recovery_codes", schema="identity", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    code_hash = Varchar(length=64)
    created_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


APP_CONFIG = app_config(
    "identity",
    [
        Outbox,
        Inbox,
        User,
        Session,
        RefreshToken,
        LoginFailure,
        LoginChallenge,
        Device,
        RecoveryCode,
    ],
)

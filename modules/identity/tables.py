"""Identity tables, all in the `identity` Postgres schema."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Text, Timestamptz, Varchar
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
    known_role = Check("role IN ('trader', 'admin')")
    known_tier = Check("tier IN ('basic', 'pro', 'enterprise')")


class RefreshToken(Table, tablename="refresh_tokens", schema="identity", db=ENGINE):
    """Refresh tokens by SHA-256 digest only: a database leak yields no usable token."""

    id = UUID(primary_key=True)
    user_id = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


APP_CONFIG = app_config("identity", [Outbox, Inbox, User, RefreshToken])

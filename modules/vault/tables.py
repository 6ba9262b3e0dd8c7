"""Vault tables, all in the `vault` Postgres schema.

User ids are stored as text, not as a foreign key or a UUID: users belong to identity, and the
vault must not assume more about their ids than that a verified token carries one.
"""

from __future__ import annotations

from piccolo.columns import UUID, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.constraints import Check
from piccolo.table import Table

from modules.kernel.db import ENGINE
from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("vault")


class UserKey(Table, tablename="user_keys", schema="vault", db=ENGINE):
    """Each user's AES-256 data key, only ever stored wrapped by the transit key."""

    user_id = Text(primary_key=True)
    wrapped_data_key = Text(secret=True)
    created_at = Timestamptz()


class Credential(Table, tablename="credentials", schema="vault", db=ENGINE):
    """A venue credential. The sealed material is wiped (NULL) once the row is revoked.

    At most one active row per (user, venue); the migration adds a partial unique index for it.
    """

    id = UUID(primary_key=True)
    user_id = Text(index=True)
    venue = Varchar(length=16)
    label = Varchar(length=64, null=True, default=None)
    key_hint = Varchar(length=4)
    ciphertext = Text(null=True, default=None, secret=True)
    wrapped_data_key = Text(null=True, default=None, secret=True)
    status = Varchar(length=16, default="active")
    version = Integer(default=1)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    known_status = Check("status IN ('active', 'revoked')")
    sealed_while_active = Check(
        "(status = 'active' AND ciphertext IS NOT NULL AND wrapped_data_key IS NOT NULL)"
        " OR (status = 'revoked' AND ciphertext IS NULL AND wrapped_data_key IS NULL)"
    )


class AuditEntry(Table, tablename="audit_log", schema="vault", db=ENGINE):
    """Who did what to which credential, when. Hash chaining comes with a later issue."""

    id = BigSerial(primary_key=True)
    user_id = Text(index=True)
    action = Varchar(length=16)
    credential_id = UUID()
    venue = Varchar(length=16)
    at = Timestamptz()
    known_action = Check("action IN ('store', 'revoke')")


APP_CONFIG = app_config("vault", [Outbox, Inbox, UserKey, Credential, AuditEntry])

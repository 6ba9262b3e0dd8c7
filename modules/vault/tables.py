"""Vault tables, all in the `vault` Postgres schema.

User ids are stored as text, not as a foreign key or a UUID: users belong to identity, and the
vault must not assume more about their ids than that a verified token carries one.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    Array,
    BigInt,
    BigSerial,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Check, Unique
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
    `verification` is the venue's last word on the key; a refused key is also revoked, since a
    key that may withdraw funds (or does not work) must not be kept at all.
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
    environment = Varchar(length=16, default="simulated")
    verification = Varchar(length=16, default="unverified")
    permissions = Array(Varchar(length=32), default=list)
    verification_request_id = UUID(null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    refusal_reason = Varchar(length=200, null=True, default=None)
    rotated_at = Timestamptz(null=True, default=None)
    # The account as the last verification saw it: totals per asset (decimal strings) and the
    # number of markets the platform can trade there.
    balances = JSONB(default="{}")
    markets = Integer(default=0)
    known_status = Check("status IN ('active', 'revoked')")
    sealed_while_active = Check(
        "(status = 'active' AND ciphertext IS NOT NULL AND wrapped_data_key IS NOT NULL)"
        " OR (status = 'revoked' AND ciphertext IS NULL AND wrapped_data_key IS NULL)"
    )
    known_environment = Check("environment IN ('simulated', 'sandbox', 'live')")
    known_verification = Check("verification IN ('unverified', 'pending', 'verified', 'refused')")


class CredentialVersion(Table, tablename="credential_versions", schema="vault", db=ENGINE):
    """Every version a credential has had. The newest ten stay sealed; older ones are wiped."""

    id = BigSerial(primary_key=True)
    credential_id = UUID(index=True)
    user_id = Text()
    venue = Varchar(length=16)
    version = Integer()
    key_hint = Varchar(length=4)
    ciphertext = Text(null=True, default=None, secret=True)
    wrapped_data_key = Text(null=True, default=None, secret=True)
    created_at = Timestamptz()
    destroyed_at = Timestamptz(null=True, default=None)
    one_row_per_version = Unique(["credential_id", "version"])
    sealed_until_destroyed = Check(
        "(destroyed_at IS NULL AND ciphertext IS NOT NULL AND wrapped_data_key IS NOT NULL)"
        " OR (destroyed_at IS NOT NULL AND ciphertext IS NULL AND wrapped_data_key IS NULL)"
    )


class AuditEntry(Table, tablename="audit_log", schema="vault", db=ENGINE):
    """The hash-chained audit log: `hash` = SHA-256(prev_hash || canonical row content).

    Appends are serialised by the single `AuditHead` row, which also keeps the last hash, so
    deleting the newest rows is caught as well as altering or deleting any earlier one.
    """

    id = BigSerial(primary_key=True)
    user_id = Text(index=True)
    action = Varchar(length=32)
    credential_id = UUID(null=True, default=None)
    venue = Varchar(length=16, null=True, default=None)
    at = Timestamptz()
    actor_id = Text(null=True, default=None)
    details = JSONB(default="{}")
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")


class AuditHead(Table, tablename="audit_head", schema="vault", db=ENGINE):
    """One row (id = 1): the chain's last entry and hash; locking it serialises appends."""

    id = Integer(primary_key=True)
    last_id = BigInt(default=0)
    last_hash = Varchar(length=64, default="")
    length = BigInt(default=0)
    # The time of entry `last_at_id`: the next append dates its entries no earlier, with no read
    # of the log. An earlier release's appends move `last_id` only, so the two ids then differ.
    last_at = Timestamptz(null=True, default=None)
    last_at_id = BigInt(default=0)
    single_row = Check("id = 1")


APP_CONFIG = app_config(
    "vault",
    [Outbox, Inbox, UserKey, Credential, CredentialVersion, AuditEntry, AuditHead],
)

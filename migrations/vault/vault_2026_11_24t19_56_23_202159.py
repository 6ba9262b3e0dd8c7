from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique

ID = "2026-11-24T19:56:23:202159"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    manager.add_table(
        class_name="AuditHead",
        tablename="audit_head",
        schema="vault",
        columns=None,
    )

    manager.add_table(
        class_name="CredentialVersion",
        tablename="credential_versions",
        schema="vault",
        columns=None,
    )

    manager.add_column(
        table_class_name="AuditHead",
        tablename="audit_head",
        column_name="id",
        db_column_name="id",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditHead",
        tablename="audit_head",
        column_name="last_id",
        db_column_name="last_id",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditHead",
        tablename="audit_head",
        column_name="last_hash",
        db_column_name="last_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditHead",
        tablename="audit_head",
        column_name="length",
        db_column_name="length",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="id",
        db_column_name="id",
        column_class_name="BigSerial",
        column_class=BigSerial,
        params={
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="credential_id",
        db_column_name="credential_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="venue",
        db_column_name="venue",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="key_hint",
        db_column_name="key_hint",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 4,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="ciphertext",
        db_column_name="ciphertext",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="wrapped_data_key",
        db_column_name="wrapped_data_key",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        column_name="destroyed_at",
        db_column_name="destroyed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="AuditHead",
        tablename="audit_head",
        constraint_name="single_row",
        constraint_class=Check,
        params={"condition": "id = 1"},
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        constraint_name="one_row_per_version",
        constraint_class=Unique,
        params={"columns": ["credential_id", "version"], "nulls_distinct": True},
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="CredentialVersion",
        tablename="credential_versions",
        constraint_name="sealed_until_destroyed",
        constraint_class=Check,
        params={
            "condition": "(destroyed_at IS NULL AND ciphertext IS NOT NULL AND wrapped_data_key IS NOT NULL) OR (destroyed_at IS NOT NULL AND ciphertext IS NULL AND wrapped_data_key IS NULL)"
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="environment",
        db_column_name="environment",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "simulated",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="permissions",
        db_column_name="permissions",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Varchar(
                length=32,
                default="",
                null=False,
                primary_key=False,
                unique=False,
                index=False,
                index_method=IndexMethod.btree,
                choices=None,
                db_column_name=None,
                secret=False,
            ),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="refusal_reason",
        db_column_name="refusal_reason",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="rotated_at",
        db_column_name="rotated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="verification",
        db_column_name="verification",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "unverified",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="verification_request_id",
        db_column_name="verification_request_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Credential",
        tablename="credentials",
        column_name="verified_at",
        db_column_name="verified_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="actor_id",
        db_column_name="actor_id",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="details",
        db_column_name="details",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "{}",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="hash",
        db_column_name="hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="prev_hash",
        db_column_name="prev_hash",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="action",
        db_column_name="action",
        params={"length": 32},
        old_params={"length": 16},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="vault",
    )

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="credential_id",
        db_column_name="credential_id",
        params={"default": None, "null": True},
        old_params={"default": UUID4(), "null": False},
        column_class=UUID,
        old_column_class=UUID,
        schema="vault",
    )

    manager.alter_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="venue",
        db_column_name="venue",
        params={"default": None, "null": True},
        old_params={"default": "", "null": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema="vault",
    )

    manager.drop_constraint(
        table_class_name="AuditEntry",
        tablename="audit_log",
        constraint_name="known_action",
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="Credential",
        tablename="credentials",
        constraint_name="known_environment",
        constraint_class=Check,
        params={"condition": "environment IN ('simulated', 'sandbox', 'live')"},
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="Credential",
        tablename="credentials",
        constraint_name="known_verification",
        constraint_class=Check,
        params={"condition": "verification IN ('unverified', 'pending', 'verified', 'refused')"},
        schema="vault",
    )

    return manager

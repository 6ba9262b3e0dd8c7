from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Bytea
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique

ID = "2026-11-24T19:29:13:156053"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    manager.add_table(
        class_name="AuditEntry",
        tablename="audit_log",
        schema="vault",
        columns=None,
    )

    manager.add_table(class_name="Outbox", tablename="outbox", schema="vault", columns=None)

    manager.add_table(
        class_name="Credential",
        tablename="credentials",
        schema="vault",
        columns=None,
    )

    manager.add_table(class_name="UserKey", tablename="user_keys", schema="vault", columns=None)

    manager.add_table(class_name="Inbox", tablename="inbox", schema="vault", columns=None)

    manager.add_column(
        table_class_name="AuditEntry",
        tablename="audit_log",
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
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="action",
        db_column_name="action",
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
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="credential_id",
        db_column_name="credential_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
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
        table_class_name="AuditEntry",
        tablename="audit_log",
        column_name="at",
        db_column_name="at",
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
        table_class_name="Outbox",
        tablename="outbox",
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
        table_class_name="Outbox",
        tablename="outbox",
        column_name="event_id",
        db_column_name="event_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="Outbox",
        tablename="outbox",
        column_name="topic",
        db_column_name="topic",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        table_class_name="Outbox",
        tablename="outbox",
        column_name="envelope",
        db_column_name="envelope",
        column_class_name="Bytea",
        column_class=Bytea,
        params={
            "default": b"",
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
        table_class_name="Outbox",
        tablename="outbox",
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
        table_class_name="Outbox",
        tablename="outbox",
        column_name="published_at",
        db_column_name="published_at",
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
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
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
        table_class_name="Credential",
        tablename="credentials",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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
        table_class_name="Credential",
        tablename="credentials",
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
        table_class_name="Credential",
        tablename="credentials",
        column_name="label",
        db_column_name="label",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        table_class_name="Credential",
        tablename="credentials",
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
        table_class_name="Credential",
        tablename="credentials",
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
        table_class_name="Credential",
        tablename="credentials",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "active",
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
        column_name="version",
        db_column_name="version",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 1,
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
        table_class_name="Credential",
        tablename="credentials",
        column_name="revoked_at",
        db_column_name="revoked_at",
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
        table_class_name="UserKey",
        tablename="user_keys",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "",
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
        table_class_name="UserKey",
        tablename="user_keys",
        column_name="wrapped_data_key",
        db_column_name="wrapped_data_key",
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
            "secret": True,
        },
        schema="vault",
    )

    manager.add_column(
        table_class_name="UserKey",
        tablename="user_keys",
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
        table_class_name="Inbox",
        tablename="inbox",
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
        table_class_name="Inbox",
        tablename="inbox",
        column_name="event_id",
        db_column_name="event_id",
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
        table_class_name="Inbox",
        tablename="inbox",
        column_name="handler",
        db_column_name="handler",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
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
        table_class_name="Inbox",
        tablename="inbox",
        column_name="topic",
        db_column_name="topic",
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
        table_class_name="Inbox",
        tablename="inbox",
        column_name="processed_at",
        db_column_name="processed_at",
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

    manager.add_constraint(
        table_class_name="AuditEntry",
        tablename="audit_log",
        constraint_name="known_action",
        constraint_class=Check,
        params={"condition": "action IN ('store', 'revoke')"},
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="Credential",
        tablename="credentials",
        constraint_name="known_status",
        constraint_class=Check,
        params={"condition": "status IN ('active', 'revoked')"},
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="Credential",
        tablename="credentials",
        constraint_name="sealed_while_active",
        constraint_class=Check,
        params={
            "condition": "(status = 'active' AND ciphertext IS NOT NULL AND wrapped_data_key IS NOT NULL) OR (status = 'revoked' AND ciphertext IS NULL AND wrapped_data_key IS NULL)"
        },
        schema="vault",
    )

    manager.add_constraint(
        table_class_name="Inbox",
        tablename="inbox",
        constraint_name="once_per_handler",
        constraint_class=Unique,
        params={"columns": ["event_id", "handler"], "nulls_distinct": True},
        schema="vault",
    )

    return manager

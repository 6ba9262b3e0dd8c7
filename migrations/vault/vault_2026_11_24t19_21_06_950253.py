from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Bytea
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique

ID = "2026-11-24T19:21:06:950253"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="vault", description=DESCRIPTION
    )

    manager.add_table(
        class_name="Inbox", tablename="inbox", schema="vault", columns=None
    )

    manager.add_table(
        class_name="Outbox", tablename="outbox", schema="vault", columns=None
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

    manager.add_constraint(
        table_class_name="Inbox",
        tablename="inbox",
        constraint_name="once_per_handler",
        constraint_class=Unique,
        params={"columns": ["event_id", "handler"], "nulls_distinct": True},
        schema="vault",
    )

    return manager

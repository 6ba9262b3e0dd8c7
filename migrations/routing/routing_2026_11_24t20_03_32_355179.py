from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigSerial
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Numeric
from piccolo.columns.column_types import Real
from piccolo.columns.column_types import Text
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Unique
import decimal

ID = "2026-11-24T20:03:32:355179"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    manager.add_table(
        class_name="DailyPnl",
        tablename="daily_pnl",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="KillSwitch",
        tablename="kill_switches",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="TradingSettings",
        tablename="trading_settings",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="RouteAttempt",
        tablename="route_attempts",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="TwapPlan",
        tablename="twap_plans",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="Position",
        tablename="positions",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="VenueOutcome",
        tablename="venue_outcomes",
        schema="routing",
        columns=None,
    )

    manager.add_table(
        class_name="UserStatus",
        tablename="user_status",
        schema="routing",
        columns=None,
    )

    manager.add_column(
        table_class_name="DailyPnl",
        tablename="daily_pnl",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="DailyPnl",
        tablename="daily_pnl",
        column_name="user_id",
        db_column_name="user_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="DailyPnl",
        tablename="daily_pnl",
        column_name="day",
        db_column_name="day",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="DailyPnl",
        tablename="daily_pnl",
        column_name="realized",
        db_column_name="realized",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="KillSwitch",
        tablename="kill_switches",
        column_name="scope",
        db_column_name="scope",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="KillSwitch",
        tablename="kill_switches",
        column_name="active",
        db_column_name="active",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="KillSwitch",
        tablename="kill_switches",
        column_name="set_by",
        db_column_name="set_by",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="KillSwitch",
        tablename="kill_switches",
        column_name="reason",
        db_column_name="reason",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="KillSwitch",
        tablename="kill_switches",
        column_name="changed_at",
        db_column_name="changed_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="risk_level",
        db_column_name="risk_level",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="max_position_usd",
        db_column_name="max_position_usd",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="max_daily_loss_usd",
        db_column_name="max_daily_loss_usd",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="allowed_pairs",
        db_column_name="allowed_pairs",
        column_class_name="JSONB",
        column_class=JSONB,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="equity_usd",
        db_column_name="equity_usd",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TradingSettings",
        tablename="trading_settings",
        column_name="updated_at",
        db_column_name="updated_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="attempt_id",
        db_column_name="attempt_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="order_id",
        db_column_name="order_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="attempt",
        db_column_name="attempt",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="venue",
        db_column_name="venue",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="client_order_id",
        db_column_name="client_order_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="credential_id",
        db_column_name="credential_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="routed_at",
        db_column_name="routed_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="failed_code",
        db_column_name="failed_code",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="failed_reason",
        db_column_name="failed_reason",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteAttempt",
        tablename="route_attempts",
        column_name="failed_at",
        db_column_name="failed_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="parent_order_id",
        db_column_name="parent_order_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="user_id",
        db_column_name="user_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="slices_total",
        db_column_name="slices_total",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="slices_sent",
        db_column_name="slices_sent",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="slice_quantity",
        db_column_name="slice_quantity",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="quantity_total",
        db_column_name="quantity_total",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="interval_seconds",
        db_column_name="interval_seconds",
        column_class_name="Real",
        column_class=Real,
        params={
            "default": 0.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="next_at",
        db_column_name="next_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 12,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="TwapPlan",
        tablename="twap_plans",
        column_name="last_error",
        db_column_name="last_error",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="user_id",
        db_column_name="user_id",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="venue",
        db_column_name="venue",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="symbol",
        db_column_name="symbol",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="quantity",
        db_column_name="quantity",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="average_price",
        db_column_name="average_price",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="realized_pnl",
        db_column_name="realized_pnl",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="fees",
        db_column_name="fees",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": decimal.Decimal("0"),
            "digits": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="opened_at",
        db_column_name="opened_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Position",
        tablename="positions",
        column_name="updated_at",
        db_column_name="updated_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="VenueOutcome",
        tablename="venue_outcomes",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="VenueOutcome",
        tablename="venue_outcomes",
        column_name="venue",
        db_column_name="venue",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="VenueOutcome",
        tablename="venue_outcomes",
        column_name="symbol",
        db_column_name="symbol",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="VenueOutcome",
        tablename="venue_outcomes",
        column_name="ok",
        db_column_name="ok",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="VenueOutcome",
        tablename="venue_outcomes",
        column_name="at",
        db_column_name="at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="user_id",
        db_column_name="user_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="suspended",
        db_column_name="suspended",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="suspended_reason",
        db_column_name="suspended_reason",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="status_at",
        db_column_name="status_at",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="tier",
        db_column_name="tier",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="UserStatus",
        tablename="user_status",
        column_name="tier_at",
        db_column_name="tier_at",
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
        schema="routing",
    )

    manager.add_constraint(
        table_class_name="DailyPnl",
        tablename="daily_pnl",
        constraint_name="one_per_day",
        constraint_class=Unique,
        params={"columns": ["user_id", "day"], "nulls_distinct": True},
        schema="routing",
    )

    manager.add_constraint(
        table_class_name="Position",
        tablename="positions",
        constraint_name="one_per_symbol",
        constraint_class=Unique,
        params={
            "columns": ["user_id", "venue", "symbol"],
            "nulls_distinct": True,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="attempt",
        db_column_name="attempt",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="kind",
        db_column_name="kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "single",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="notional",
        db_column_name="notional",
        column_class_name="Numeric",
        column_class=Numeric,
        params={
            "default": None,
            "digits": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="parent_order_id",
        db_column_name="parent_order_id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="priority",
        db_column_name="priority",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 3,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="signal",
        db_column_name="signal",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "entry",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="Order",
        tablename="orders",
        column_name="source",
        db_column_name="source",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
            "default": "trader",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteDecision",
        tablename="route_decisions",
        column_name="attempt",
        db_column_name="attempt",
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
        schema="routing",
    )

    manager.add_column(
        table_class_name="RouteDecision",
        tablename="route_decisions",
        column_name="why",
        db_column_name="why",
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
        schema="routing",
    )

    return manager

"""Dashboard tables, all in the `dashboard` Postgres schema.

These are read models rebuilt from other modules' events, so columns that only some events carry
are nullable: an order row may be created by whichever of its events arrives first.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigSerial,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from modules.kernel.db import ENGINE
from modules.kernel.outbox import outbox_tables
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("dashboard")


class Order(Table, tablename="orders", schema="dashboard", db=ENGINE):
    order_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    symbol = Varchar(length=32, null=True, default=None)
    side = Varchar(length=8, null=True, default=None)
    order_type = Varchar(length=8, null=True, default=None)
    quantity = Numeric(null=True, default=None)
    limit_price = Numeric(null=True, default=None)
    venue = Varchar(length=32, null=True, default=None)
    venue_order_id = Varchar(length=128, null=True, default=None)
    status = Varchar(length=20)
    filled_quantity = Numeric()
    average_price = Numeric(null=True, default=None)
    fees = Numeric()
    fee_currency = Varchar(length=16, null=True, default=None)
    reason = Text(null=True, default=None)
    # Bumped on every change so a client can drop a push that arrives after a newer one.
    revision = Integer(default=0)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class Fill(Table, tablename="fills", schema="dashboard", db=ENGINE):
    id = BigSerial(primary_key=True)
    order_id = Varchar(length=64, index=True)
    fill_id = Varchar(length=128)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    price = Numeric()
    quantity = Numeric()
    fee = Numeric()
    fee_currency = Varchar(length=16)
    liquidity = Varchar(length=8)
    executed_at = Timestamptz()
    # A fill is one fact: redelivered under another event id it must still count once.
    once_per_order = Unique(["order_id", "fill_id"])


class Notification(Table, tablename="notifications", schema="dashboard", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = Varchar(length=64, index=True)
    kind = Varchar(length=40)
    title = Varchar(length=200)
    body = Text()
    order_id = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


APP_CONFIG = app_config("dashboard", [Outbox, Inbox, Order, Fill, Notification])

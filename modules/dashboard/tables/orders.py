"""The orders read model and notifications, in the `dashboard` Postgres schema.

These are read models rebuilt from other modules' events, so columns that only some events carry
are nullable: an order row may be created by whichever of its events arrives first.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    BigSerial,
    Bytea,
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
    # The route attempt (0, then one per re-route) whose venue and status the row shows; events
    # of an older attempt arrive late and must not take the order back.
    attempt = Integer(default=0)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class OrderAttempt(Table, tablename="order_attempts", schema="dashboard", db=ENGINE):
    """Which order the trader knows an execution order id by.

    A re-route reaches execution under a new id, derived one-way from the order's own id, so
    only the attempt's `OrderRouted` says which order it belongs to. Until that event arrives
    the row exists with `order_id` null: it only gives the attempt's early events a row to
    lock, so parking them and replaying them cannot interleave.
    """

    attempt_order_id = Varchar(length=64, primary_key=True)
    order_id = Varchar(length=64, null=True, default=None, index=True)
    attempt = Integer(default=0)


class PendingEvent(Table, tablename="pending_events", schema="dashboard", db=ENGINE):
    """Execution's events about an attempt whose `OrderRouted` has not arrived yet.

    Replayed (and deleted) when it arrives; until then nobody can tell which order they are for.
    """

    id = BigSerial(primary_key=True)
    attempt_order_id = Varchar(length=64, index=True)
    topic = Varchar(length=100)
    payload = Bytea()
    received_at = Timestamptz()


class Fill(Table, tablename="fills", schema="dashboard", db=ENGINE):
    id = BigSerial(primary_key=True)
    # The id execution reported the fill under: a re-routed order's fills are under its attempt's
    # id (see OrderAttempt), so fills of two venues can never collide on `fill_id`.
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
    # The deep link the app opens (the push's); null for notices that lead nowhere in particular.
    url = Varchar(length=200, null=True, default=None)
    # Notices that must be told once per fact (a stop hit, a day's summary) carry the fact's key.
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)

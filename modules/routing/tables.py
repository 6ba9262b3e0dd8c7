"""Routing tables, all in the `routing` Postgres schema."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
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
from modules.kernel.tables import app_config

Outbox, Inbox = outbox_tables("routing")


class Order(Table, tablename="orders", schema="routing", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = Varchar(length=64, index=True)
    client_order_id = Varchar(length=64, unique=True)
    symbol = Varchar(length=32)
    side = Varchar(length=8)
    order_type = Varchar(length=8)
    quantity = Numeric()
    limit_price = Numeric(null=True, default=None)
    status = Varchar(length=20)
    venue = Varchar(length=32)
    credential_id = Varchar(length=64)
    venue_order_id = Varchar(length=64, null=True, default=None)
    filled_quantity = Numeric()
    average_price = Numeric(null=True, default=None)
    fees = Numeric()
    reject_code = Varchar(length=64, null=True, default=None)
    reject_reason = Text(null=True, default=None)
    created_at = Timestamptz(index=True)
    updated_at = Timestamptz()


class RouteDecision(Table, tablename="route_decisions", schema="routing", db=ENGINE):
    """Why the order went where it did: every candidate venue with its cost factors."""

    order_id = UUID(primary_key=True)
    chosen = Varchar(length=32)
    candidates = JSONB()
    decided_at = Timestamptz()


class Fill(Table, tablename="fills", schema="routing", db=ENGINE):
    fill_id = Varchar(length=64, primary_key=True)
    order_id = UUID(index=True)
    price = Numeric()
    quantity = Numeric()
    fee = Numeric()
    fee_currency = Varchar(length=16)
    liquidity = Varchar(length=8)
    filled_at = Timestamptz()


class UserVenue(Table, tablename="user_venues", schema="routing", db=ENGINE):
    """A user's credential per venue, as vault announced it; revoked ones stay as tombstones."""

    credential_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    venue = Varchar(length=32)
    version = Integer(default=1)
    stored_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class IdempotencyKey(Table, tablename="idempotency_keys", schema="routing", db=ENGINE):
    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    key = Varchar(length=255)
    request_hash = Varchar(length=64)
    response_status = Integer(null=True, default=None)
    response_body = Bytea(null=True, default=None)
    created_at = Timestamptz()
    one_per_user = Unique(["user_id", "key"])


APP_CONFIG = app_config(
    "routing", [Outbox, Inbox, Order, RouteDecision, Fill, UserVenue, IdempotencyKey]
)

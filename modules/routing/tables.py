"""Routing tables, all in the `routing` Postgres schema."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Bytea,
    Date,
    DoublePrecision,
    Integer,
    Numeric,
    Real,
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
    # Who asked (trader, strategy, alert), why (signal) and how urgent (priority, 1 first).
    source = Varchar(length=16, default="trader")
    signal = Varchar(length=16, default="entry")
    priority = Integer(default=3)
    # single: one venue; split / twap: a parent whose children (parent_order_id) do the work.
    kind = Varchar(length=8, default="single")
    # Indexed for the children only (a partial index: migrations/routing, 2026-12-05).
    parent_order_id = UUID(null=True, default=None)
    # Re-routes after venue faults: the current attempt (0 = first venue).
    attempt = Integer(default=0)
    notional = Numeric(null=True, default=None)
    # When a cancel was asked: the order is never re-routed after it.
    cancel_requested_at = Timestamptz(null=True, default=None)


class RouteAttempt(Table, tablename="route_attempts", schema="routing", db=ENGINE):
    """One hand-off of an order to a venue; execution knows the order by `attempt_id`."""

    attempt_id = UUID(primary_key=True)
    order_id = UUID(index=True)
    attempt = Integer()
    venue = Varchar(length=32)
    client_order_id = Varchar(length=64, unique=True)
    credential_id = Varchar(length=64)
    routed_at = Timestamptz()
    failed_code = Varchar(length=64, null=True, default=None)
    failed_reason = Text(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)


class TradingSettings(Table, tablename="trading_settings", schema="routing", db=ENGINE):
    user_id = Varchar(length=64, primary_key=True)
    risk_level = Varchar(length=8, null=True, default=None)
    max_position_usd = Numeric(null=True, default=None)
    max_daily_loss_usd = Numeric(null=True, default=None)
    allowed_pairs = JSONB(null=True, default=None)
    equity_usd = Numeric(null=True, default=None)
    updated_at = Timestamptz()


class UserStatus(Table, tablename="user_status", schema="routing", db=ENGINE):
    """Identity's word on the user (suspension, tier); each part moves only forward in time."""

    user_id = Varchar(length=64, primary_key=True)
    suspended = Boolean(default=False)
    suspended_reason = Text(null=True, default=None)
    status_at = Timestamptz(null=True, default=None)
    tier = Varchar(length=16, null=True, default=None)
    tier_at = Timestamptz(null=True, default=None)
    # Execution paused the user's trading (unknown fill, consecutive exchange errors).
    paused = Boolean(default=False)
    paused_reason = Text(null=True, default=None)
    paused_at = Timestamptz(null=True, default=None)


class KillSwitch(Table, tablename="kill_switches", schema="routing", db=ENGINE):
    """`scope` is "global" or a user id. `set_by` says who may lift it (admin, or the user)."""

    scope = Varchar(length=64, primary_key=True)
    active = Boolean(default=False)
    set_by = Varchar(length=8)
    reason = Text(null=True, default=None)
    changed_at = Timestamptz()
    # Who engaged or lifted it last: the admin's or the trader's user id.
    set_by_user_id = Varchar(length=64, null=True, default=None)


class Position(Table, tablename="positions", schema="routing", db=ENGINE):
    """A read copy of execution's position (`PositionChanged`), under execution's id.

    Only what the risk gate and a close need; `version` is the newest event applied. The index
    on (user_id, symbol) is made by the migration (Piccolo declares no composite indexes).
    """

    id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    quantity = Numeric()
    version = BigInt(default=0)
    updated_at = Timestamptz()


class ViewVersion(Table, tablename="view_versions", schema="routing", db=ENGINE):
    """Bumped with every write to what the risk gate reads of a user (`*`: the global kill
    switch): a replica keeping that view in memory places an order only at the version it read,
    and reloads the view when another replica moved it on."""

    user_id = Varchar(length=64, primary_key=True)
    version = BigInt()


class UserOrderGuard(Table, tablename="order_guards", schema="routing", db=ENGINE):
    """The row a trader's own order is placed under: the orders placed so far (a replica's view
    places at the count it read, and reloads when another replica placed one meanwhile) and the
    order-rate bucket (NULL: full), both moved by the statement that places the order."""

    user_id = Varchar(length=64, primary_key=True)
    placed = BigInt()
    rate_tokens = DoublePrecision(null=True)
    rate_at = Timestamptz(null=True)


class VenueEquity(Table, tablename="venue_equity", schema="routing", db=ENGINE):
    """A read copy of a venue account's equity in USD, from execution's `BalanceChanged`.

    One row per credential; `as_of` is the newest snapshot applied (events may arrive out of
    order). The risk gate sums the user's active credentials' rows.
    """

    credential_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    venue = Varchar(length=32)
    equity_usd = Numeric()
    as_of = Timestamptz()


class DailyPnl(Table, tablename="daily_pnl", schema="routing", db=ENGINE):
    """Per user and UTC day: realised P&L (fees included, summed from `PositionChanged`) and
    the trader's own orders placed, so the risk gate reads a row instead of the history."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    day = Date()
    realised = Numeric()
    trades = Integer(default=0)
    one_per_day = Unique(["user_id", "day"])


class VenueOutcome(Table, tablename="venue_outcomes", schema="routing", db=ENGINE):
    """Each execution's outcome per venue and pair, for measured success rates."""

    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    ok = Boolean()
    at = Timestamptz(index=True)


class TwapPlan(Table, tablename="twap_plans", schema="routing", db=ENGINE):
    """A large order sent as equal slices over time; the scheduler resumes it after a restart."""

    parent_order_id = UUID(primary_key=True)
    user_id = Varchar(length=64)
    slices_total = Integer()
    slices_sent = Integer(default=0)
    slice_quantity = Numeric()
    quantity_total = Numeric()
    interval_seconds = Real()
    next_at = Timestamptz(index=True)
    status = Varchar(length=12)
    last_error = Text(null=True, default=None)


class RouteDecision(Table, tablename="route_decisions", schema="routing", db=ENGINE):
    """Why the order went where it did: every candidate venue with its cost factors."""

    order_id = UUID(primary_key=True)
    chosen = Varchar(length=32)
    candidates = JSONB()
    decided_at = Timestamptz()
    # `order_id` is the route attempt's id (the order's own id for its first attempt).
    attempt = Integer(default=0)
    why = Text(null=True, default=None)


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
    "routing",
    [
        Outbox,
        Inbox,
        Order,
        RouteDecision,
        Fill,
        UserVenue,
        IdempotencyKey,
        RouteAttempt,
        TradingSettings,
        UserStatus,
        KillSwitch,
        Position,
        DailyPnl,
        VenueEquity,
        ViewVersion,
        UserOrderGuard,
        VenueOutcome,
        TwapPlan,
    ],
)

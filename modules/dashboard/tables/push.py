"""Notifications' preferences and phone pushes (Expo), price alerts, and what the admin overview
and the pushes know of accounts, bots and positions.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    Integer,
    Numeric,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.constraints import Unique
from piccolo.table import Table

from modules.kernel.db import ENGINE


class NotificationPreference(
    Table, tablename="notification_preferences", schema="dashboard", db=ENGINE
):
    """A user's choices; a user without a row has the defaults of `domain.push.Preferences`."""

    user_id = Varchar(length=64, primary_key=True)
    push_enabled = Boolean(default=True)
    trade_alerts = Boolean(default=True)
    price_alerts = Boolean(default=True)
    bot_alerts = Boolean(default=True)
    daily_summary = Boolean(default=True)
    daily_summary_time = Varchar(length=5, default="20:00")
    updated_at = Timestamptz()


class PushDevice(Table, tablename="push_devices", schema="dashboard", db=ENGINE):
    """A phone that receives the user's pushes. The Expo token is kept sealed by the transit
    keyring (bound to the user); only its hash (one owner per token) and a hint are plain."""

    id = UUID(primary_key=True)
    user_id = Varchar(length=64, index=True)
    device_id = Varchar(length=128)
    platform = Varchar(length=8)
    token_sealed = Text()
    token_hash = Varchar(length=64, unique=True)
    token_hint = Varchar(length=64)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)
    one_per_device = Unique(["user_id", "device_id"])


class PushOutbox(Table, tablename="push_outbox", schema="dashboard", db=ENGINE):
    """Pushes to send, one row per (notification, device), written with the notification.

    `status`: pending (due at `due_at`), sent (by `ticket_id`, its receipt not yet read),
    collapsed (went out inside `collapsed_into`'s message), delivered, failed."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    device = UUID(index=True)
    notification_id = UUID(null=True, default=None)
    kind = Varchar(length=32)
    collapse_key = Varchar(length=100)
    title = Varchar(length=200)
    body = Text()
    data = JSONB()
    # "venue|symbol" of a fill whose position was not known yet: resolved when it is sent.
    position_ref = Varchar(length=80, null=True, default=None)
    status = Varchar(length=12, default="pending")
    attempts = Integer(default=0)
    # Sent once the group's newest row is due (a burst went quiet) or its oldest must go.
    due_at = Timestamptz()
    send_by = Timestamptz()
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    ticket_id = Varchar(length=100, null=True, default=None)
    collapsed_into = BigInt(null=True, default=None)
    error = Varchar(length=200, null=True, default=None)


class PriceAlert(Table, tablename="price_alerts", schema="dashboard", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = Varchar(length=64, index=True)
    symbol = Varchar(length=32)
    venue = Varchar(length=32, null=True, default=None)
    direction = Varchar(length=8)
    threshold = Numeric()
    created_at = Timestamptz()
    triggered_at = Timestamptz(null=True, default=None)
    triggered_price = Numeric(null=True, default=None)
    triggered_venue = Varchar(length=32, null=True, default=None)


class AccountDirectory(Table, tablename="account_directory", schema="dashboard", db=ENGINE):
    """Identity's accounts as its events tell them: tier, status, and the time zone a user's
    days are cut in."""

    user_id = Varchar(length=64, primary_key=True)
    role = Varchar(length=16, default="trader")
    tier = Varchar(length=16, default="basic")
    status = Varchar(length=16, default="active")
    timezone = Varchar(length=64, default="UTC")
    registered_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class BotState(Table, tablename="bot_states", schema="dashboard", db=ENGINE):
    """Each user's bot status as strategy's `BotStatusChanged` last told it."""

    user_id = Varchar(length=64, primary_key=True)
    status = Varchar(length=16)
    reason = Text(null=True, default=None)
    changed_at = Timestamptz()


class PositionCycle(Table, tablename="position_cycles", schema="dashboard", db=ENGINE):
    """A position's current round trip (`domain.position_cycles.Cycle`), under execution's id."""

    position_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    version = Integer(default=0)
    open = Boolean(default=False)
    realised_base = Numeric()
    cost_basis = Numeric()


class DailyTally(Table, tablename="daily_tallies", schema="dashboard", db=ENGINE):
    """A user's trades, realised P&L, wins and losses of one local day (for the daily summary)."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    day = Date()
    trades = Integer(default=0)
    pnl = Numeric()
    wins = Integer(default=0)
    losses = Integer(default=0)
    one_per_day = Unique(["user_id", "day"])


class DailySummarySent(Table, tablename="daily_summaries_sent", schema="dashboard", db=ENGINE):
    """The last local day whose summary went out, per user: a day is summarised once."""

    user_id = Varchar(length=64, primary_key=True)
    day = Date()
    sent_at = Timestamptz()

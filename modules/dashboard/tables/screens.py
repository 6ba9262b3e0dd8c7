"""The screens' read side: trades, positions, marks, balances, days, routes and savings, signals.

The migrations are hand-written (SQL): these declarations are the schema's record.
"""

from __future__ import annotations

from decimal import Decimal

from piccolo.columns import (
    JSONB,
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


class Trade(Table, tablename="trades", schema="dashboard", db=ENGINE):
    """One fill at a venue, from two events: execution's `OrderFilled` (the fill) and its
    `PositionChanged` (the position after it). Either half may come first."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    fill_id = Varchar(length=128)
    order_id = Varchar(length=64, null=True, default=None)
    side = Varchar(length=4, null=True, default=None)
    price = Numeric(null=True, default=None)
    quantity = Numeric(null=True, default=None)
    fee = Numeric(null=True, default=None)
    fee_currency = Varchar(length=16, null=True, default=None)
    fee_quote = Numeric(null=True, default=None)
    liquidity = Varchar(length=8, null=True, default=None)
    executed_at = Timestamptz(null=True, default=None)
    position_id = Varchar(length=64, null=True, default=None)
    version = Integer(null=True, default=None)
    position_quantity = Numeric(null=True, default=None)
    average_entry = Numeric(null=True, default=None)
    realised_total = Numeric(null=True, default=None)
    fees_total = Numeric(null=True, default=None)
    realised_delta = Numeric(null=True, default=None)
    step_at = Timestamptz(null=True, default=None)
    closes = Boolean(default=False)
    closed_cycle = Integer(null=True, default=None)
    cycle_pnl = Numeric(null=True, default=None)
    cycle_pnl_pct = Numeric(null=True, default=None)
    revision = Integer(default=1)
    one_per_fill = Unique(["user_id", "venue", "symbol", "fill_id"])


class PositionHead(Table, tablename="position_heads", schema="dashboard", db=ENGINE):
    """How far execution's position has been folded into cycles; its lock serialises folds."""

    position_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    last_version = Integer(default=0)
    last_quantity = Numeric(default=Decimal(0))
    revision = Integer(default=0)


class Position(Table, tablename="positions", schema="dashboard", db=ENGINE):
    """One position from open to close (a cycle of execution's position; domain/positions.py)."""

    id = BigSerial(primary_key=True)
    position_id = Varchar(length=64)
    open_version = Integer()
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    side = Varchar(length=5)
    status = Varchar(length=6)
    quantity = Numeric()
    peak_quantity = Numeric()
    entry_price = Numeric()
    realised_base = Numeric()
    fees_base = Numeric()
    realised_pnl = Numeric()
    fees = Numeric()
    opened_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    last_version = Integer()
    close_version = Integer(null=True, default=None)
    revision = Integer()
    one_per_cycle = Unique(["position_id", "open_version"])


class Bar(Table, tablename="bars", schema="dashboard", db=ENGINE):
    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    timeframe = Varchar(length=4)
    start = Timestamptz()
    open = Numeric()
    high = Numeric()
    low = Numeric()
    close = Numeric()
    volume = Numeric()
    one_per_start = Unique(["venue", "symbol", "timeframe", "start"])


class Mark(Table, tablename="marks", schema="dashboard", db=ENGINE):
    """The latest close of each market: what open positions are marked at."""

    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    price = Numeric()
    at = Timestamptz()
    one_per_market = Unique(["venue", "symbol"])


class Balance(Table, tablename="balances", schema="dashboard", db=ENGINE):
    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    credential_id = Varchar(length=64)
    balances = JSONB()
    equity_usd = Numeric()
    reported_at = Timestamptz()
    revision = Integer(default=1)
    one_per_venue = Unique(["user_id", "venue"])


class EquityReport(Table, tablename="equity_reports", schema="dashboard", db=ENGINE):
    """Every equity a venue reported, so a period's P&L can be read against its start."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    equity_usd = Numeric()
    reported_at = Timestamptz()


class Daily(Table, tablename="daily", schema="dashboard", db=ENGINE):
    """One trader's local day (domain/stats.py's `DayFigures`)."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    day = Date()
    trades = Integer(default=0)
    volume = Numeric(default=Decimal(0))
    fees = Numeric(default=Decimal(0))
    pnl = Numeric(default=Decimal(0))
    closed = Integer(default=0)
    wins = Integer(default=0)
    losses = Integer(default=0)
    won = Numeric(default=Decimal(0))
    lost = Numeric(default=Decimal(0))
    one_per_day = Unique(["user_id", "day"])


class UserState(Table, tablename="user_state", schema="dashboard", db=ENGINE):
    """Per trader: the time zone days are cut in, the bot's status, and push revisions."""

    user_id = Varchar(length=64, primary_key=True)
    timezone = Varchar(length=64, default="UTC")
    profile_at = Timestamptz(null=True, default=None)
    pnl_revision = Integer(default=0)
    bot_status = Varchar(length=8, null=True, default=None)
    bot_previous = Varchar(length=8, null=True, default=None)
    bot_reason = Text(null=True, default=None)
    bot_changed_at = Timestamptz(null=True, default=None)
    bot_revision = Integer(default=0)


class AccountEvent(Table, tablename="account_events", schema="dashboard", db=ENGINE):
    """Activity that is not a trade: bot status changes and security events."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    kind = Varchar(length=8)
    at = Timestamptz()
    code = Varchar(length=40)
    previous = Varchar(length=8, null=True, default=None)
    reason = Text(null=True, default=None)


class Route(Table, tablename="routes", schema="dashboard", db=ENGINE):
    """Each route attempt routing handed to execution (`OrderRouted`), by execution's order id."""

    order_id = Varchar(length=64, primary_key=True)
    trader_order_id = Varchar(length=64)
    parent_order_id = Varchar(length=64, null=True, default=None)
    user_id = Varchar(length=64)
    client_order_id = Varchar(length=64)
    symbol = Varchar(length=32)
    side = Varchar(length=4)
    quantity = Numeric()
    venue = Varchar(length=32)
    signal = Varchar(length=16)
    attempt = Integer()
    expected_price = Numeric()
    expected_fee = Numeric()
    expected_cost = Numeric(null=True, default=None)
    best_venue = Varchar(length=32, null=True, default=None)
    best_cost = Numeric(null=True, default=None)
    routed_at = Timestamptz()


class Saving(Table, tablename="savings", schema="dashboard", db=ENGINE):
    """Per order the trader placed: its routes' expected cost against the best single venue's."""

    order_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    symbol = Varchar(length=32)
    side = Varchar(length=4)
    quantity = Numeric()
    venues = JSONB()
    route_cost = Numeric(null=True, default=None)
    best_venue = Varchar(length=32, null=True, default=None)
    best_cost = Numeric(null=True, default=None)
    routed_at = Timestamptz()


class BotPosition(Table, tablename="bot_positions", schema="dashboard", db=ENGINE):
    bot_position_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    status = Varchar(length=8)
    entry_intent_id = Varchar(length=64)
    entry_price = Numeric(null=True, default=None)
    quantity = Numeric()
    stop = Numeric()
    targets = JSONB()
    targets_hit = Integer(default=0)
    trailing_stop = Boolean(default=False)
    close_reason = Varchar(length=16, null=True, default=None)
    version = Integer()


class Signal(Table, tablename="signals", schema="dashboard", db=ENGINE):
    signal_id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    timeframe = Varchar(length=4)
    bar_start = Timestamptz()
    action = Varchar(length=12)
    side = Varchar(length=4)
    score = Integer(null=True, default=None)
    conditions = JSONB()
    stop = Numeric(null=True, default=None)
    targets = JSONB()


class SignalIntent(Table, tablename="signal_intents", schema="dashboard", db=ENGINE):
    """Which signal an order (a bot's intent id) came from."""

    intent_id = Varchar(length=64, primary_key=True)
    signal_id = Varchar(length=64)

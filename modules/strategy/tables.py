"""Strategy tables, all in the `strategy` Postgres schema.

The use cases speak SQL to them directly (repository/); these declarations are the schema's
record for Piccolo and the architecture tests. The migration is hand-written.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    BigSerial,
    Boolean,
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

Outbox, Inbox = outbox_tables("strategy")


class Bot(Table, tablename="bots", schema="strategy", db=ENGINE):
    user_id = Varchar(length=64, primary_key=True)
    status = Varchar(length=16)
    paused_reason = Text(null=True, default=None)
    mode = Varchar(length=8)
    strategy = Varchar(length=32)
    pairs = JSONB()
    venue = Varchar(length=32)
    timeframe = Varchar(length=4)
    risk_level = Varchar(length=8)
    max_position_usd = Numeric()
    equity_usd = Numeric()
    rejections = Integer(default=0)
    updated_at = Timestamptz()


class BarRow(Table, tablename="bars", schema="strategy", db=ENGINE):
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


class BotPosition(Table, tablename="positions", schema="strategy", db=ENGINE):
    id = UUID(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    timeframe = Varchar(length=4)
    status = Varchar(length=16)
    entry_intent_id = UUID()
    planned_quantity = Numeric()
    quantity = Numeric()
    exited = Numeric()
    entry_price = Numeric(null=True, default=None)
    stop = Numeric()
    planned_risk = Numeric()
    targets = JSONB()
    targets_hit = Integer(default=0)
    trailing_on = Boolean(default=False)
    exit_in_flight = UUID(null=True, default=None)
    exit_attempts = Integer(default=0)
    close_reason = Varchar(length=32, null=True, default=None)
    opened_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    # What the bot's own fills left on each venue ({venue: quantity}): exits sell it there.
    held = JSONB(default="{}")
    # Where most of the entry filled (the bot's venue, unless routing sent it elsewhere).
    entry_venue = Varchar(length=32, null=True, default=None)
    # Of the state published as `BotPositionChanged`: readers keep the highest.
    version = Integer(default=0)


class Intent(Table, tablename="intents", schema="strategy", db=ENGINE):
    intent_id = UUID(primary_key=True)
    user_id = Varchar(length=64)
    position_id = UUID()
    kind = Varchar(length=16)
    side = Varchar(length=8)
    quantity = Numeric()
    status = Varchar(length=20)
    filled_quantity = Numeric()
    average_price = Numeric(null=True, default=None)
    code = Varchar(length=64, null=True, default=None)
    reason = Text(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class SignalRow(Table, tablename="signals", schema="strategy", db=ENGINE):
    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    timeframe = Varchar(length=4)
    bar_start = Timestamptz()
    action = Varchar(length=16)
    detail = JSONB()
    order_ids = JSONB()
    created_at = Timestamptz()
    # An entry's shared part (the bar's verdict); `detail` then holds only its own size.
    verdict_id = BigInt(null=True, default=None)


class Hold(Table, tablename="holds", schema="strategy", db=ENGINE):
    """What halts a user's trading (or everyone's: subject "global") as the bot learned it."""

    id = BigSerial(primary_key=True)
    subject = Varchar(length=64)
    kind = Varchar(length=32)
    reason = Text()
    one_per_kind = Unique(["subject", "kind"])


class VenuePosition(Table, tablename="venue_positions", schema="strategy", db=ENGINE):
    """The latest version of execution's position per user, venue and symbol."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    version = Integer()
    quantity = Numeric()
    one_per_key = Unique(["user_id", "venue", "symbol"])


APP_CONFIG = app_config(
    "strategy",
    [Outbox, Inbox, Bot, BarRow, BotPosition, Intent, SignalRow, Hold, VenuePosition],
)


# TradingView alerts ---------------------------------------------------------------------------


class TradingViewHook(Table, tablename="tradingview_hooks", schema="strategy", db=ENGINE):
    """A user's TradingView webhook, bound to one venue; only the secret's hash is kept."""

    id = UUID(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    label = Varchar(length=64, null=True, default=None)
    secret_hash = Varchar(length=64)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    last_alert_at = Timestamptz(null=True, default=None)


class TradingViewAlert(Table, tablename="tradingview_alerts", schema="strategy", db=ENGINE):
    """An alert a hook received and what became of it (the order's id, or why not)."""

    id = BigSerial(primary_key=True)
    hook_id = UUID()
    user_id = Varchar(length=64)
    intent_id = UUID(null=True, default=None)
    action = Varchar(length=8)
    symbol = Varchar(length=40)
    side = Varchar(length=4, null=True, default=None)
    quantity = Numeric(null=True, default=None)
    status = Varchar(length=16)
    code = Varchar(length=64, null=True, default=None)
    reason = Text(null=True, default=None)
    received_at = Timestamptz()


class TradingViewFingerprint(
    Table, tablename="tradingview_fingerprints", schema="strategy", db=ENGINE
):
    """Alerts seen while they could still be fresh: a second delivery of one is a replay."""

    id = BigSerial(primary_key=True)
    hook_id = UUID()
    fingerprint = Varchar(length=64)
    expires_at = Timestamptz()
    one_per_alert = Unique(["hook_id", "fingerprint"])


APP_CONFIG.table_classes.extend([TradingViewHook, TradingViewAlert, TradingViewFingerprint])


# Backtests: appended, and registered with the app below, so the bot's tables above stay as
# they were.
class Backtest(Table, tablename="backtests", schema="strategy", db=ENGINE):
    """One backtest: queued while its history arrives (`ready` once it has), then run by the
    backtests worker; the report is kept as JSON."""

    id = UUID(primary_key=True)
    user_id = Varchar(length=64)
    status = Varchar(length=16)
    params = JSONB()
    bars_wanted = Integer()
    bars_got = Integer(default=0)
    requests = Integer(default=0)
    book = JSONB(null=True, default=None)
    report = JSONB(null=True, default=None)
    error_code = Varchar(length=64, null=True, default=None)
    error = Text(null=True, default=None)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


class BacktestPart(Table, tablename="backtest_parts", schema="strategy", db=ENGINE):
    """One answer of execution's history for a backtest, until the backtest has run."""

    id = BigSerial(primary_key=True)
    backtest_id = UUID()
    request_id = Varchar(length=100, unique=True)
    start = Timestamptz()
    bars = JSONB()


APP_CONFIG.register_table(Backtest)
APP_CONFIG.register_table(BacktestPart)


# Following routed orders, and sizing from balances: appended like the backtests' tables.
class IntentOrder(Table, tablename="intent_orders", schema="strategy", db=ENGINE):
    """An order execution knows that carries a bot's intent: the intent's own id, a re-route
    attempt of it, or a child of its split or TWAP; what it filled and how it ended."""

    order_id = UUID(primary_key=True)
    intent_id = UUID()
    venue = Varchar(length=32)
    attempt = Integer(default=0)
    status = Varchar(length=20)
    filled_quantity = Numeric()
    notional = Numeric()
    code = Varchar(length=64, null=True, default=None)
    reason = Text(null=True, default=None)


class ParkedReport(Table, tablename="parked_reports", schema="strategy", db=ENGINE):
    """Execution's report on an order whose `OrderRouted` has not arrived yet, while its user
    has an intent in flight: replayed when the order turns out to be a bot's."""

    id = BigSerial(primary_key=True)
    order_id = UUID()
    topic = Varchar(length=200)
    payload = Bytea()
    received_at = Timestamptz()


class BarVerdict(Table, tablename="bar_verdicts", schema="strategy", db=ENGINE):
    """APEX's verdict on one bar and its indicators, once for every bot that entered on it."""

    id = BigSerial(primary_key=True)
    venue = Varchar(length=32)
    symbol = Varchar(length=32)
    timeframe = Varchar(length=4)
    bar_start = Timestamptz()
    detail = JSONB()
    one_per_bar = Unique(["venue", "symbol", "timeframe", "bar_start"])


class VenueBalance(Table, tablename="venue_balances", schema="strategy", db=ENGINE):
    """A venue account's equity in USD as execution's latest `BalanceChanged` valued it."""

    id = BigSerial(primary_key=True)
    user_id = Varchar(length=64)
    venue = Varchar(length=32)
    credential_id = Varchar(length=64)
    equity_usd = Numeric()
    as_of = Timestamptz()
    one_per_account = Unique(["user_id", "venue"])


for _table in (IntentOrder, ParkedReport, BarVerdict, VenueBalance):
    APP_CONFIG.register_table(_table)

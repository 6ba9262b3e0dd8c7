"""Hand-written: the read side of the traders' screens (overview, positions, activity, statistics,
routing savings), folded from other modules' events. Every index serves one screen's query."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T21:10:00:000011"
VERSION = "1.38.0"
DESCRIPTION = "dashboard read side of the screens"

_CREATE = [
    # One row per fill: execution's OrderFilled and PositionChanged halves, in either order.
    "CREATE TABLE dashboard.trades (id bigserial PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, fill_id varchar(128) NOT NULL, "
    "order_id varchar(64) NULL, side varchar(4) NULL, price numeric NULL, quantity numeric NULL, "
    "fee numeric NULL, fee_currency varchar(16) NULL, fee_quote numeric NULL, "
    "liquidity varchar(8) NULL, executed_at timestamptz NULL, position_id varchar(64) NULL, "
    "version integer NULL, position_quantity numeric NULL, average_entry numeric NULL, "
    "realised_total numeric NULL, fees_total numeric NULL, realised_delta numeric NULL, "
    "step_at timestamptz NULL, closes boolean NOT NULL DEFAULT false, closed_cycle integer NULL, "
    "cycle_pnl numeric NULL, cycle_pnl_pct numeric NULL, revision integer NOT NULL DEFAULT 1, "
    "CONSTRAINT trades_one_per_fill UNIQUE (user_id, venue, symbol, fill_id))",
    # Activity and the CSV export: a user's fills by time.
    "CREATE INDEX trades_activity ON dashboard.trades (user_id, executed_at DESC, id DESC) "
    "WHERE executed_at IS NOT NULL",
    # A position's steps in version order (the cycle fold, a position's opening and closing fill).
    "CREATE INDEX trades_steps ON dashboard.trades (position_id, version) "
    "WHERE version IS NOT NULL",
    "CREATE TABLE dashboard.position_heads (position_id varchar(64) PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, last_version integer NOT NULL DEFAULT 0, "
    "last_quantity numeric NOT NULL DEFAULT 0, revision integer NOT NULL DEFAULT 0)",
    "CREATE TABLE dashboard.positions (id bigserial PRIMARY KEY, position_id varchar(64) NOT NULL, "
    "open_version integer NOT NULL, user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, "
    "symbol varchar(32) NOT NULL, side varchar(5) NOT NULL, status varchar(6) NOT NULL, "
    "quantity numeric NOT NULL, peak_quantity numeric NOT NULL, entry_price numeric NOT NULL, "
    "realised_base numeric NOT NULL, fees_base numeric NOT NULL, realised_pnl numeric NOT NULL, "
    "fees numeric NOT NULL, opened_at timestamptz NOT NULL, closed_at timestamptz NULL, "
    "last_version integer NOT NULL, close_version integer NULL, revision integer NOT NULL, "
    "CONSTRAINT positions_one_per_cycle UNIQUE (position_id, open_version))",
    "CREATE INDEX positions_by_user ON dashboard.positions "
    "(user_id, opened_at DESC, position_id DESC, open_version DESC)",
    # Open positions in the list's order (the overview), and closed ones counted (the summary).
    "CREATE INDEX positions_open ON dashboard.positions "
    "(user_id, opened_at DESC, position_id DESC, open_version DESC) WHERE status = 'open'",
    "CREATE INDEX positions_closed ON dashboard.positions (user_id, venue, symbol) "
    "WHERE status = 'closed'",
    "CREATE TABLE dashboard.bars (id bigserial PRIMARY KEY, venue varchar(32) NOT NULL, "
    "symbol varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, start timestamptz NOT NULL, "
    "open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL, "
    "volume numeric NOT NULL, "
    "CONSTRAINT bars_one_per_start UNIQUE (venue, symbol, timeframe, start))",
    # The retention worker deletes old bars by timeframe and age.
    "CREATE INDEX bars_by_age ON dashboard.bars (timeframe, start)",
    "CREATE TABLE dashboard.marks (id bigserial PRIMARY KEY, venue varchar(32) NOT NULL, "
    "symbol varchar(32) NOT NULL, price numeric NOT NULL, at timestamptz NOT NULL, "
    "CONSTRAINT marks_one_per_market UNIQUE (venue, symbol))",
    "CREATE TABLE dashboard.balances (id bigserial PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "venue varchar(32) NOT NULL, credential_id varchar(64) NOT NULL, balances jsonb NOT NULL, "
    "equity_usd numeric NOT NULL, reported_at timestamptz NOT NULL, "
    "revision integer NOT NULL DEFAULT 1, "
    "CONSTRAINT balances_one_per_venue UNIQUE (user_id, venue))",
    "CREATE TABLE dashboard.equity_reports (id bigserial PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, equity_usd numeric NOT NULL, "
    "reported_at timestamptz NOT NULL)",
    "CREATE INDEX equity_reports_by_venue ON dashboard.equity_reports "
    "(user_id, venue, reported_at)",
    "CREATE TABLE dashboard.daily (id bigserial PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "day date NOT NULL, trades integer NOT NULL DEFAULT 0, volume numeric NOT NULL DEFAULT 0, "
    "fees numeric NOT NULL DEFAULT 0, pnl numeric NOT NULL DEFAULT 0, "
    "closed integer NOT NULL DEFAULT 0, wins integer NOT NULL DEFAULT 0, "
    "losses integer NOT NULL DEFAULT 0, won numeric NOT NULL DEFAULT 0, "
    "lost numeric NOT NULL DEFAULT 0, CONSTRAINT daily_one_per_day UNIQUE (user_id, day))",
    "CREATE TABLE dashboard.user_state (user_id varchar(64) PRIMARY KEY, "
    "timezone varchar(64) NOT NULL DEFAULT 'UTC', profile_at timestamptz NULL, "
    "pnl_revision integer NOT NULL DEFAULT 0, bot_status varchar(8) NULL, "
    "bot_previous varchar(8) NULL, bot_reason text NULL, bot_changed_at timestamptz NULL, "
    "bot_revision integer NOT NULL DEFAULT 0)",
    "CREATE TABLE dashboard.account_events (id bigserial PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, kind varchar(8) NOT NULL, at timestamptz NOT NULL, "
    "code varchar(40) NOT NULL, previous varchar(8) NULL, reason text NULL)",
    "CREATE INDEX account_events_activity ON dashboard.account_events (user_id, at DESC, id DESC)",
    "CREATE TABLE dashboard.routes (order_id varchar(64) PRIMARY KEY, "
    "trader_order_id varchar(64) NOT NULL, parent_order_id varchar(64) NULL, "
    "user_id varchar(64) NOT NULL, client_order_id varchar(64) NOT NULL, "
    "symbol varchar(32) NOT NULL, side varchar(4) NOT NULL, quantity numeric NOT NULL, "
    "venue varchar(32) NOT NULL, signal varchar(16) NOT NULL, attempt integer NOT NULL, "
    "expected_price numeric NOT NULL, expected_fee numeric NOT NULL, "
    "expected_cost numeric NULL, best_venue varchar(32) NULL, best_cost numeric NULL, "
    "routed_at timestamptz NOT NULL)",
    # The routes of one order the trader placed (its own, or its split's and TWAP's children).
    "CREATE INDEX routes_by_order ON dashboard.routes "
    "((coalesce(parent_order_id, trader_order_id)))",
    "CREATE TABLE dashboard.savings (order_id varchar(64) PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, symbol varchar(32) NOT NULL, side varchar(4) NOT NULL, "
    "quantity numeric NOT NULL, venues jsonb NOT NULL, route_cost numeric NULL, "
    "best_venue varchar(32) NULL, best_cost numeric NULL, routed_at timestamptz NOT NULL)",
    "CREATE INDEX savings_by_user ON dashboard.savings (user_id, routed_at DESC, order_id DESC)",
    "CREATE TABLE dashboard.bot_positions (bot_position_id varchar(64) PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, "
    "status varchar(8) NOT NULL, entry_intent_id varchar(64) NOT NULL, "
    "entry_price numeric NULL, quantity numeric NOT NULL, stop numeric NOT NULL, "
    "targets jsonb NOT NULL, targets_hit integer NOT NULL DEFAULT 0, "
    "trailing_stop boolean NOT NULL DEFAULT false, close_reason varchar(16) NULL, "
    "version integer NOT NULL)",
    "CREATE INDEX bot_positions_by_entry ON dashboard.bot_positions (entry_intent_id)",
    "CREATE TABLE dashboard.signals (signal_id varchar(64) PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, "
    "timeframe varchar(4) NOT NULL, bar_start timestamptz NOT NULL, action varchar(12) NOT NULL, "
    "side varchar(4) NOT NULL, score integer NULL, conditions jsonb NOT NULL, "
    "stop numeric NULL, targets jsonb NOT NULL)",
    "CREATE TABLE dashboard.signal_intents (intent_id varchar(64) PRIMARY KEY, "
    "signal_id varchar(64) NOT NULL)",
]
_DROP = [
    f"DROP TABLE IF EXISTS dashboard.{name}"
    for name in (
        "signal_intents",
        "signals",
        "bot_positions",
        "savings",
        "routes",
        "account_events",
        "user_state",
        "daily",
        "equity_reports",
        "balances",
        "marks",
        "bars",
        "positions",
        "position_heads",
        "trades",
    )
]


class RawTable(Table, schema="dashboard"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dashboard", description=DESCRIPTION)

    async def create():
        for statement in _CREATE:
            await RawTable.raw(statement)

    async def drop():
        for statement in _DROP:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

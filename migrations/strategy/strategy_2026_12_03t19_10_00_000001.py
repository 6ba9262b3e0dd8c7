"""Hand-written: the strategy module's schema (bots, bars, positions with their stops and
targets, intents, signals, holds, execution's position versions, outbox and inbox)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:10:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "strategy schema"

_CREATE = [
    "CREATE SCHEMA IF NOT EXISTS strategy",
    "CREATE TABLE strategy.outbox (id bigserial PRIMARY KEY, event_id varchar(64) NOT NULL UNIQUE, "
    "topic varchar(200) NOT NULL, envelope bytea NOT NULL, created_at timestamptz NOT NULL, "
    "published_at timestamptz NULL DEFAULT NULL)",
    "CREATE TABLE strategy.inbox (id bigserial PRIMARY KEY, event_id varchar(64) NOT NULL, "
    "handler varchar(200) NOT NULL, topic text NOT NULL, processed_at timestamptz NOT NULL, "
    "CONSTRAINT inbox_once_per_handler UNIQUE (event_id, handler))",
    "CREATE TABLE strategy.bots (user_id varchar(64) PRIMARY KEY, status varchar(16) NOT NULL, "
    "paused_reason text NULL, mode varchar(8) NOT NULL, strategy varchar(32) NOT NULL, "
    "pairs jsonb NOT NULL, venue varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, "
    "risk_level varchar(8) NOT NULL, max_position_usd numeric NOT NULL, "
    "equity_usd numeric NOT NULL, rejections integer NOT NULL DEFAULT 0, "
    "last_signal_at timestamptz NULL, updated_at timestamptz NOT NULL)",
    # The bar handler's one query for the bots trading a pair: running bots by venue and frame.
    "CREATE INDEX bots_running ON strategy.bots (venue, timeframe) WHERE status = 'running'",
    "CREATE TABLE strategy.bars (id bigserial PRIMARY KEY, venue varchar(32) NOT NULL, "
    "symbol varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, start timestamptz NOT NULL, "
    "open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL, "
    "volume numeric NOT NULL, CONSTRAINT bars_one_per_start UNIQUE (venue, symbol, timeframe, start))",
    "CREATE TABLE strategy.positions (id uuid PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, "
    "status varchar(16) NOT NULL, entry_intent_id uuid NOT NULL UNIQUE, "
    "planned_quantity numeric NOT NULL, quantity numeric NOT NULL, exited numeric NOT NULL, "
    "entry_price numeric NULL, stop numeric NOT NULL, planned_risk numeric NOT NULL, "
    "targets jsonb NOT NULL, targets_hit integer NOT NULL DEFAULT 0, "
    "trailing_on boolean NOT NULL DEFAULT false, exit_in_flight uuid NULL, "
    "exit_attempts integer NOT NULL DEFAULT 0, close_reason varchar(32) NULL, "
    "opened_at timestamptz NOT NULL, closed_at timestamptz NULL)",
    # At most one live position per bot and pair; the bar handler finds them by pair.
    "CREATE UNIQUE INDEX positions_one_live ON strategy.positions (user_id, venue, symbol) "
    "WHERE status IN ('pending', 'open')",
    "CREATE INDEX positions_live_by_pair ON strategy.positions (venue, symbol, timeframe) "
    "WHERE status IN ('pending', 'open')",
    "CREATE TABLE strategy.intents (intent_id uuid PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "position_id uuid NOT NULL, kind varchar(16) NOT NULL, side varchar(8) NOT NULL, "
    "quantity numeric NOT NULL, status varchar(20) NOT NULL, filled_quantity numeric NOT NULL, "
    "average_price numeric NULL, code varchar(64) NULL, reason text NULL, "
    "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
    "CREATE INDEX intents_by_position ON strategy.intents (position_id)",
    "CREATE TABLE strategy.signals (id bigserial PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, "
    "bar_start timestamptz NOT NULL, action varchar(16) NOT NULL, detail jsonb NOT NULL, "
    "order_ids jsonb NOT NULL, created_at timestamptz NOT NULL)",
    "CREATE INDEX signals_newest ON strategy.signals (user_id, id DESC)",
    "CREATE TABLE strategy.holds (id bigserial PRIMARY KEY, subject varchar(64) NOT NULL, "
    "kind varchar(32) NOT NULL, reason text NOT NULL, "
    "CONSTRAINT holds_one_per_kind UNIQUE (subject, kind))",
    "CREATE TABLE strategy.venue_positions (id bigserial PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, "
    "version integer NOT NULL, quantity numeric NOT NULL, "
    "CONSTRAINT venue_positions_one_per_key UNIQUE (user_id, venue, symbol))",
]


class RawTable(Table, schema="strategy"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="strategy", description=DESCRIPTION)

    async def create():
        for statement in _CREATE:
            await RawTable.raw(statement)

    async def drop():
        await RawTable.raw("DROP SCHEMA strategy CASCADE")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

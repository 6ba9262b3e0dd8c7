"""Hand-written: what the bots learn from other modules' events to follow their own orders and
size their entries: which routed orders (re-route attempts, split and TWAP children) carry each
intent and what each filled, reports parked until their order is known, each venue account's
equity from execution's balances, what a bar's entry signals share; and, on the bots'
positions, where they are held and the version of their published state."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T20:30:00:000004"
VERSION = "1.38.0"
DESCRIPTION = (
    "strategy intent orders, parked reports, venue balances, bar verdicts, position versions"
)

_CREATE = [
    "ALTER TABLE strategy.positions ADD COLUMN version integer NOT NULL DEFAULT 0, "
    "ADD COLUMN held jsonb NOT NULL DEFAULT jsonb_build_object(), "
    "ADD COLUMN entry_venue varchar(32) NULL",
    # A position is known by its entry's id now (`id` = `entry_intent_id`): one unique index.
    "ALTER TABLE strategy.positions DROP CONSTRAINT positions_entry_intent_id_key",
    "CREATE TABLE strategy.intent_orders (order_id uuid PRIMARY KEY, intent_id uuid NOT NULL, "
    "venue varchar(32) NOT NULL, attempt integer NOT NULL DEFAULT 0, "
    "status varchar(20) NOT NULL, filled_quantity numeric NOT NULL DEFAULT 0, "
    "notional numeric NOT NULL DEFAULT 0, code varchar(64) NULL, reason text NULL)",
    "CREATE INDEX intent_orders_by_intent ON strategy.intent_orders (intent_id)",
    # Whether an unknown order's report may be a bot's whose route is not known yet: its user
    # has an intent in flight, or one that ended lately (routing may still send it on).
    "CREATE INDEX intents_by_user ON strategy.intents (user_id, updated_at)",
    "CREATE TABLE strategy.parked_reports (id bigserial PRIMARY KEY, order_id uuid NOT NULL, "
    "topic varchar(200) NOT NULL, payload bytea NOT NULL, received_at timestamptz NOT NULL)",
    "CREATE INDEX parked_reports_by_order ON strategy.parked_reports (order_id, id)",
    "CREATE INDEX parked_reports_by_age ON strategy.parked_reports (received_at)",
    # What a bar's entry signals share (APEX's verdict and the indicators), stored once per bar
    # for all the bots that entered on it; each signal keeps only its own size.
    "CREATE TABLE strategy.bar_verdicts (id bigserial PRIMARY KEY, venue varchar(32) NOT NULL, "
    "symbol varchar(32) NOT NULL, timeframe varchar(4) NOT NULL, bar_start timestamptz NOT NULL, "
    "detail jsonb NOT NULL, "
    "CONSTRAINT bar_verdicts_one_per_bar UNIQUE (venue, symbol, timeframe, bar_start))",
    "ALTER TABLE strategy.signals ADD COLUMN verdict_id bigint NULL",
    # A bot's last signal is its newest signal row: no write to the bot per signal.
    "ALTER TABLE strategy.bots DROP COLUMN last_signal_at",
    "CREATE TABLE strategy.venue_balances (id bigserial PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, "
    "credential_id varchar(64) NOT NULL, equity_usd numeric NOT NULL, "
    "as_of timestamptz NOT NULL, "
    "CONSTRAINT venue_balances_one_per_account UNIQUE (user_id, venue))",
]
_DROP = [
    "DROP TABLE IF EXISTS strategy.venue_balances",
    "ALTER TABLE strategy.bots ADD COLUMN IF NOT EXISTS last_signal_at timestamptz NULL",
    "ALTER TABLE strategy.signals DROP COLUMN IF EXISTS verdict_id",
    "DROP TABLE IF EXISTS strategy.bar_verdicts",
    "DROP TABLE IF EXISTS strategy.parked_reports",
    "DROP INDEX IF EXISTS strategy.intents_by_user",
    "DROP TABLE IF EXISTS strategy.intent_orders",
    "ALTER TABLE strategy.positions ADD CONSTRAINT positions_entry_intent_id_key "
    "UNIQUE (entry_intent_id)",
    "ALTER TABLE strategy.positions DROP COLUMN IF EXISTS entry_venue, "
    "DROP COLUMN IF EXISTS held, DROP COLUMN IF EXISTS version",
]


class RawTable(Table, schema="strategy"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="strategy", description=DESCRIPTION)

    async def create():
        for statement in _CREATE:
            await RawTable.raw(statement)

    async def drop():
        for statement in _DROP:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

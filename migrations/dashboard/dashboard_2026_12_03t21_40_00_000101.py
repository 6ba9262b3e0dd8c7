"""Hand-written: notifications get deep links and once-only keys; preferences, push devices, the
push outbox, price alerts, and the small read copies pushes and the admin overview need (accounts,
bots, position round trips, daily tallies)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T21:40:00:000101"
VERSION = "1.38.0"
DESCRIPTION = "notifications, push devices and outbox, price alerts, admin read copies"

_CREATE = [
    "ALTER TABLE dashboard.notifications ADD COLUMN url varchar(200) NULL",
    "ALTER TABLE dashboard.notifications ADD COLUMN dedupe_key varchar(200) NULL UNIQUE",
    # The unread count and mark-all-read look only at a user's unread rows.
    "CREATE INDEX notifications_unread ON dashboard.notifications (user_id) WHERE read_at IS NULL",
    # The admin overview's 24 hours of fills.
    "CREATE INDEX fills_executed_at ON dashboard.fills (executed_at)",
    "CREATE TABLE dashboard.notification_preferences (user_id varchar(64) PRIMARY KEY, "
    "push_enabled boolean NOT NULL DEFAULT true, trade_alerts boolean NOT NULL DEFAULT true, "
    "price_alerts boolean NOT NULL DEFAULT true, bot_alerts boolean NOT NULL DEFAULT true, "
    "daily_summary boolean NOT NULL DEFAULT true, "
    "daily_summary_time varchar(5) NOT NULL DEFAULT '20:00', updated_at timestamptz NOT NULL)",
    "CREATE TABLE dashboard.push_devices (id uuid PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "device_id varchar(128) NOT NULL, platform varchar(8) NOT NULL, token_sealed text NOT NULL, "
    "token_hash varchar(64) NOT NULL UNIQUE, token_hint varchar(64) NOT NULL, "
    "created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, "
    "last_sent_at timestamptz NULL, UNIQUE (user_id, device_id))",
    "CREATE INDEX push_devices_user_id ON dashboard.push_devices (user_id)",
    "CREATE TABLE dashboard.push_outbox (id bigserial PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "device uuid NOT NULL, notification_id uuid NULL, kind varchar(32) NOT NULL, "
    "collapse_key varchar(100) NOT NULL, title varchar(200) NOT NULL, body text NOT NULL, "
    "data jsonb NOT NULL, position_ref varchar(80) NULL, "
    "status varchar(12) NOT NULL DEFAULT 'pending', attempts integer NOT NULL DEFAULT 0, "
    "due_at timestamptz NOT NULL, send_by timestamptz NOT NULL, "
    "created_at timestamptz NOT NULL, sent_at timestamptz NULL, "
    "ticket_id varchar(100) NULL, collapsed_into bigint NULL, error varchar(200) NULL)",
    # The delivery round's queue (rows due, then their groups), and the receipts round's.
    "CREATE INDEX push_outbox_due ON dashboard.push_outbox (due_at) WHERE status = 'pending'",
    "CREATE INDEX push_outbox_pending ON dashboard.push_outbox (device, collapse_key) "
    "WHERE status = 'pending'",
    "CREATE INDEX push_outbox_tickets ON dashboard.push_outbox (sent_at) "
    "WHERE status = 'sent' AND ticket_id IS NOT NULL",
    "CREATE INDEX push_outbox_created ON dashboard.push_outbox (created_at)",
    "CREATE TABLE dashboard.price_alerts (id uuid PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "symbol varchar(32) NOT NULL, venue varchar(32) NULL, direction varchar(8) NOT NULL, "
    "threshold numeric NOT NULL, created_at timestamptz NOT NULL, "
    "triggered_at timestamptz NULL, triggered_price numeric NULL, "
    "triggered_venue varchar(32) NULL)",
    "CREATE INDEX price_alerts_user_id ON dashboard.price_alerts (user_id, created_at)",
    "CREATE INDEX price_alerts_armed ON dashboard.price_alerts (symbol) WHERE triggered_at IS NULL",
    "CREATE TABLE dashboard.account_directory (user_id varchar(64) PRIMARY KEY, "
    "role varchar(16) NOT NULL DEFAULT 'trader', tier varchar(16) NOT NULL DEFAULT 'basic', "
    "status varchar(16) NOT NULL DEFAULT 'active', timezone varchar(64) NOT NULL DEFAULT 'UTC', "
    "registered_at timestamptz NULL, updated_at timestamptz NOT NULL)",
    "CREATE TABLE dashboard.bot_states (user_id varchar(64) PRIMARY KEY, "
    "status varchar(16) NOT NULL, reason text NULL, changed_at timestamptz NOT NULL)",
    "CREATE TABLE dashboard.position_cycles (position_id varchar(64) PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, symbol varchar(32) NOT NULL, "
    "version integer NOT NULL DEFAULT 0, open boolean NOT NULL DEFAULT false, "
    "realised_base numeric NOT NULL, cost_basis numeric NOT NULL)",
    "CREATE INDEX position_cycles_key ON dashboard.position_cycles (user_id, venue, symbol)",
    "CREATE TABLE dashboard.daily_tallies (id bigserial PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, day date NOT NULL, trades integer NOT NULL DEFAULT 0, "
    "pnl numeric NOT NULL DEFAULT 0, wins integer NOT NULL DEFAULT 0, "
    "losses integer NOT NULL DEFAULT 0, UNIQUE (user_id, day))",
    "CREATE INDEX daily_tallies_day ON dashboard.daily_tallies (day)",
    "CREATE TABLE dashboard.daily_summaries_sent (user_id varchar(64) PRIMARY KEY, "
    "day date NOT NULL, sent_at timestamptz NOT NULL)",
]
_DROP = [
    "DROP TABLE dashboard.daily_summaries_sent",
    "DROP TABLE dashboard.daily_tallies",
    "DROP TABLE dashboard.position_cycles",
    "DROP TABLE dashboard.bot_states",
    "DROP TABLE dashboard.account_directory",
    "DROP TABLE dashboard.price_alerts",
    "DROP TABLE dashboard.push_outbox",
    "DROP TABLE dashboard.push_devices",
    "DROP TABLE dashboard.notification_preferences",
    "DROP INDEX dashboard.fills_executed_at",
    "DROP INDEX dashboard.notifications_unread",
    "ALTER TABLE dashboard.notifications DROP COLUMN dedupe_key",
    "ALTER TABLE dashboard.notifications DROP COLUMN url",
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

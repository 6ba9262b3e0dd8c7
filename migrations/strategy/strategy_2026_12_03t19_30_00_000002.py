"""Hand-written: TradingView webhooks (hashed secrets), the alerts they received, and the
short-lived fingerprints that refuse a replayed alert."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:30:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "tradingview hooks, alerts and replay fingerprints"

_CREATE = [
    "CREATE TABLE strategy.tradingview_hooks (id uuid PRIMARY KEY, "
    "user_id varchar(64) NOT NULL, venue varchar(32) NOT NULL, label varchar(64) NULL, "
    "secret_hash varchar(64) NOT NULL, created_at timestamptz NOT NULL, "
    "revoked_at timestamptz NULL, last_alert_at timestamptz NULL)",
    "CREATE INDEX tradingview_hooks_by_user ON strategy.tradingview_hooks (user_id, created_at)",
    "CREATE TABLE strategy.tradingview_alerts (id bigserial PRIMARY KEY, hook_id uuid NOT NULL, "
    "user_id varchar(64) NOT NULL, intent_id uuid NULL, action varchar(8) NOT NULL, "
    "symbol varchar(40) NOT NULL, side varchar(4) NULL, quantity numeric NULL, "
    "status varchar(16) NOT NULL, code varchar(64) NULL, reason text NULL, "
    "received_at timestamptz NOT NULL)",
    # A hook's latest alerts, newest first; routing's refusals find an alert by its intent.
    "CREATE INDEX tradingview_alerts_newest ON strategy.tradingview_alerts (hook_id, id DESC)",
    "CREATE UNIQUE INDEX tradingview_alerts_by_intent ON strategy.tradingview_alerts "
    "(intent_id) WHERE intent_id IS NOT NULL",
    "CREATE TABLE strategy.tradingview_fingerprints (id bigserial PRIMARY KEY, "
    "hook_id uuid NOT NULL, fingerprint varchar(64) NOT NULL, expires_at timestamptz NOT NULL, "
    "CONSTRAINT tradingview_fingerprints_one_per_alert UNIQUE (hook_id, fingerprint))",
]
_DROP = [
    "DROP TABLE IF EXISTS strategy.tradingview_fingerprints",
    "DROP TABLE IF EXISTS strategy.tradingview_alerts",
    "DROP TABLE IF EXISTS strategy.tradingview_hooks",
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

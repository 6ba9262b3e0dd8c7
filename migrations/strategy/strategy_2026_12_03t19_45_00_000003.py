"""Hand-written: the strategy module's backtests (their parameters, status and report) and the
parts of market history they wait for."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:45:00:000003"
VERSION = "1.38.0"
DESCRIPTION = "strategy backtests"

_CREATE = [
    "CREATE TABLE strategy.backtests (id uuid PRIMARY KEY, user_id varchar(64) NOT NULL, "
    "status varchar(16) NOT NULL, params jsonb NOT NULL, bars_wanted integer NOT NULL, "
    "bars_got integer NOT NULL DEFAULT 0, requests integer NOT NULL DEFAULT 0, "
    "book jsonb NULL, report jsonb NULL, error_code varchar(64) NULL, error text NULL, "
    "created_at timestamptz NOT NULL, started_at timestamptz NULL, finished_at timestamptz NULL)",
    # A user's backtests still under way (the per-user cap) and the worker's queue.
    "CREATE INDEX backtests_active ON strategy.backtests (user_id) "
    "WHERE status IN ('queued', 'ready', 'running')",
    "CREATE INDEX backtests_ready ON strategy.backtests (created_at) "
    "WHERE status IN ('ready', 'running')",
    "CREATE TABLE strategy.backtest_parts (id bigserial PRIMARY KEY, backtest_id uuid NOT NULL, "
    "request_id varchar(100) NOT NULL UNIQUE, start timestamptz NOT NULL, bars jsonb NOT NULL)",
    "CREATE INDEX backtest_parts_by_backtest ON strategy.backtest_parts (backtest_id, start)",
]
_DROP = ["DROP TABLE strategy.backtest_parts", "DROP TABLE strategy.backtests"]


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

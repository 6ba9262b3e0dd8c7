"""Hand-written: orders can be cancelled.

`cancel_requested_at` marks an order whose cancel waits for the venue; a partial index keeps the
orders resting at a venue (open, partly filled) findable without scanning the order history,
since they are looked at every few seconds for fills and cancels.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T18:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "orders: cancel_requested_at, index of resting orders"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def add_cancel():
        await RawTable.raw(
            "ALTER TABLE execution.orders ADD COLUMN IF NOT EXISTS cancel_requested_at "
            "timestamptz NULL DEFAULT NULL"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS orders_resting ON execution.orders (created_at) "
            "WHERE status IN ('open', 'partially_filled')"
        )

    async def drop_cancel():
        await RawTable.raw("DROP INDEX IF EXISTS execution.orders_resting")
        await RawTable.raw("ALTER TABLE execution.orders DROP COLUMN cancel_requested_at")

    manager.add_raw(add_cancel)
    manager.add_raw_backwards(drop_cancel)
    return manager

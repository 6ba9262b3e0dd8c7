"""Hand-written: orders can be cancelled.

`cancel_requested_at` records when the trader (or a halt) asked; a cancelled order is never
re-routed, and a split or TWAP parent whose children are all done ends `cancelled`.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T18:30:00:000005"
VERSION = "1.38.0"
DESCRIPTION = "orders: cancel_requested_at"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def add_cancel():
        await RawTable.raw(
            "ALTER TABLE routing.orders ADD COLUMN IF NOT EXISTS cancel_requested_at "
            "timestamptz NULL DEFAULT NULL"
        )

    async def drop_cancel():
        await RawTable.raw("ALTER TABLE routing.orders DROP COLUMN cancel_requested_at")

    manager.add_raw(add_cancel)
    manager.add_raw_backwards(drop_cancel)
    return manager

"""Hand-written: who placed each order (routing's `OrderRouted.source`), repeated on its reports.

Readers pass over reports of orders that are none of their business (the bot over a trader's
own orders) without a lookup. Orders queued before this have none (NULL): their reports say
so, and readers treat them as they did before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T12:40:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "orders.source: who placed the order"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def add_source():
        await RawTable.raw(
            "ALTER TABLE execution.orders ADD COLUMN IF NOT EXISTS source varchar(16) NULL"
        )

    async def drop_source():
        await RawTable.raw("ALTER TABLE execution.orders DROP COLUMN IF EXISTS source")

    manager.add_raw(add_source)
    manager.add_raw_backwards(drop_source)
    return manager

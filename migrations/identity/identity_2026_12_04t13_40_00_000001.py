"""Hand-written: the relay's recovery poll looks for unpublished `outbox` rows; index only those.

Without it every poll read every row the module ever published: a cost that grows with the
history (on a million orders' worth of rows, a poll took longer than the orders it served).
Routing and execution have had this index since their first outbox polls.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T13:40:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "partial index: unpublished outbox rows"


class RawTable(Table, schema="identity"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="identity", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS outbox_unpublished ON identity.outbox (id) "
            "WHERE published_at IS NULL"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS identity.outbox_unpublished")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

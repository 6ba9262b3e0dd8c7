"""Hand-written: the relay polls `outbox` for unpublished rows; index only those.

Without it every poll walks every row ever published, which grows with the order history.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T22:40:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "partial index: unpublished outbox rows"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS outbox_unpublished ON routing.outbox (id) "
            "WHERE published_at IS NULL"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS routing.outbox_unpublished")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

"""Hand-written: partial indexes for the two queries execution runs on every order.

- The relay polls `outbox` for unpublished rows; without an index it walks every row ever
  published (thousands of pages per poll after a busy hour).
- A venue worker claims the next queued order of its venue; only queued rows matter, so the
  index holds only those and stays tiny however long the order history grows.
- Reconciliation looks for unsettled orders every market tick; they are few, the filled and
  rejected history is everything else.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T22:40:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "partial indexes: unpublished outbox rows, queued and unsettled orders"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create_indexes():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS outbox_unpublished ON execution.outbox (id) "
            "WHERE published_at IS NULL"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS orders_queued ON execution.orders "
            "(venue, priority, queued_at) WHERE status = 'queued'"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS orders_unsettled ON execution.orders (created_at) "
            "WHERE status IN ('placing', 'ambiguous', 'open', 'partially_filled')"
        )

    async def drop_indexes():
        await RawTable.raw("DROP INDEX IF EXISTS execution.outbox_unpublished")
        await RawTable.raw("DROP INDEX IF EXISTS execution.orders_queued")
        await RawTable.raw("DROP INDEX IF EXISTS execution.orders_unsettled")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

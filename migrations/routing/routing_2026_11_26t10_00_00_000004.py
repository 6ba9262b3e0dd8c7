"""Hand-written: a position's closes still in flight, found without reading the order history.

A close subtracts what other closes of the same position will still trade; this partial index
holds only unfinished exit orders, so that lookup stays small however many orders a user placed.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T10:00:00:000004"
VERSION = "1.38.0"
DESCRIPTION = "partial index: unfinished exit orders per user and symbol"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS orders_open_exits ON routing.orders "
            "(user_id, symbol) WHERE signal = 'exit' AND parent_order_id IS NULL "
            "AND status NOT IN ('filled', 'rejected', 'expired', 'cancelled')"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS routing.orders_open_exits")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

"""Hand-written: the index of a split's or TWAP's children covers only the children.

Most orders have no parent, so the index on `parent_order_id` was mostly NULLs, and it answered
`parent_order_id IS NULL` too: with the statistics of a young database (none yet for the
column, so a NULL looks rare), the planner took that index to find one fill's order and read
every top-level order instead of one row by its primary key (`repository/fills.py`; found with
auto_explain during `bench/orders.py`). Children are only ever looked up by their parent's id,
which the partial index still answers.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T11:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "index only the orders that have a parent"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def children_only():
        await RawTable.raw("DROP INDEX IF EXISTS routing.orders_parent_order_id")
        await RawTable.raw(
            "CREATE INDEX orders_parent_order_id ON routing.orders (parent_order_id) "
            "WHERE parent_order_id IS NOT NULL"
        )

    async def every_order():
        await RawTable.raw("DROP INDEX IF EXISTS routing.orders_parent_order_id")
        await RawTable.raw(
            "CREATE INDEX orders_parent_order_id ON routing.orders (parent_order_id)"
        )

    manager.add_raw(children_only)
    manager.add_raw_backwards(every_order)
    return manager

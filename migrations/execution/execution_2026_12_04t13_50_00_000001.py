"""Hand-written: a simulated exchange account's recent orders by time, as its order listing
reads them.

The sweep asks each live account for its recent orders every `sweep_seconds`. The lookup went
through the account's index and then walked all of the account's orders: with a long history it
took most of a second of the database's CPU each time, on the machine the orders share.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T13:50:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "index: a simulated account's orders by time"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS sim_orders_recent "
            "ON execution.sim_orders (account, venue, created_at)"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS execution.sim_orders_recent")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

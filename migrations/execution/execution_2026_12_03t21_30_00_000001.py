"""Hand-written: the kill switches engaged now, as execution learned them from routing.

Claiming an order checks them, so an order a halt could not reach while it was being claimed
(or still on its way from routing) is refused instead of placed.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T21:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "kill_switches: the halts a claim checks"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create_switches():
        await RawTable.raw(
            "CREATE TABLE IF NOT EXISTS execution.kill_switches ("
            "subject varchar(64) PRIMARY KEY, engaged_at timestamptz NOT NULL)"
        )

    async def drop_switches():
        await RawTable.raw("DROP TABLE IF EXISTS execution.kill_switches")

    manager.add_raw(create_switches)
    manager.add_raw_backwards(drop_switches)
    return manager

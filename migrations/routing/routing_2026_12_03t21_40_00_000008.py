"""Hand-written: a kill switch remembers who engaged or lifted it last (the admin's or the
trader's user id), for the admin's view of what is engaged."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T21:40:00:000008"
VERSION = "1.38.0"
DESCRIPTION = "kill_switches.set_by_user_id"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def add_column():
        await RawTable.raw(
            "ALTER TABLE routing.kill_switches ADD COLUMN IF NOT EXISTS "
            "set_by_user_id varchar(64) NULL"
        )

    async def drop_column():
        await RawTable.raw("ALTER TABLE routing.kill_switches DROP COLUMN IF EXISTS set_by_user_id")

    manager.add_raw(add_column)
    manager.add_raw_backwards(drop_column)
    return manager

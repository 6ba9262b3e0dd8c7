"""Hand-written: a version per user (and `*` for the platform-wide kill switch), bumped in the
same transaction as every write to what the risk gate reads of that user, so a replica that keeps
the gate's view in memory can tell when another replica changed it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T09:00:00:000009"
VERSION = "1.38.0"
DESCRIPTION = "view_versions: staleness of replicas' in-memory risk views"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_versions():
        await RawTable.raw(
            "CREATE TABLE IF NOT EXISTS routing.view_versions ("
            "user_id varchar(64) PRIMARY KEY, version bigint NOT NULL)"
        )

    async def drop_versions():
        await RawTable.raw("DROP TABLE IF EXISTS routing.view_versions")

    manager.add_raw(create_versions)
    manager.add_raw_backwards(drop_versions)
    return manager

"""Hand-written: Piccolo cannot declare a partial unique index on a table.

At most one active credential per (user, venue). The service already serialises a user's
writes with a row lock; the index makes the database refuse a second active row regardless.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T19:29:27:625572"
VERSION = "1.38.0"
DESCRIPTION = "one active credential per user and venue"


class RawTable(Table, schema="vault"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    async def create_index():
        await RawTable.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS credentials_one_active_per_venue "
            "ON vault.credentials (user_id, venue) WHERE status = 'active'"
        )

    async def drop_index():
        await RawTable.raw("DROP INDEX IF EXISTS vault.credentials_one_active_per_venue")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager

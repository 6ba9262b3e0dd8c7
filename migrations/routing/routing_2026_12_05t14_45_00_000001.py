"""Hand-written: the user's order-rate bucket moves onto the user's view-version row.

The order that spends a token is placed by one statement that already locks this row (the
view's version check), so the bucket costs no round trip of its own there and is exact across
replicas. Before, it was an item in the state port, written by a statement and a commit of its
own before every order. NULL columns are a full bucket: each user starts the new release with a
full burst, once. During a rolling upgrade a replica of the earlier release still spends from
the state port's item, so for that while a user can place one burst more than the rate allows.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T14:45:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "view_versions: the user's order-rate bucket"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def add_bucket():
        await RawTable.raw(
            "ALTER TABLE routing.view_versions "
            "ADD COLUMN IF NOT EXISTS rate_tokens double precision, "
            "ADD COLUMN IF NOT EXISTS rate_at timestamptz"
        )

    async def drop_bucket():
        await RawTable.raw(
            "ALTER TABLE routing.view_versions "
            "DROP COLUMN IF EXISTS rate_tokens, DROP COLUMN IF EXISTS rate_at"
        )

    manager.add_raw(add_bucket)
    manager.add_raw_backwards(drop_bucket)
    return manager

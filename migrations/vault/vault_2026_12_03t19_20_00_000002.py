"""Hand-written: a credential keeps what its last verification saw of the account.

`balances` (total per asset, as decimal strings) and `markets` (how many markets the platform
can trade there) are shown on the credential, the app's Connect Exchange step 3.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:20:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "credentials: balances and markets seen at verification"


class RawTable(Table, schema="vault"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    async def add_account_view():
        await RawTable.raw(
            "ALTER TABLE vault.credentials ADD COLUMN IF NOT EXISTS balances jsonb "
            "NOT NULL DEFAULT jsonb_build_object()"
        )
        await RawTable.raw(
            "ALTER TABLE vault.credentials ADD COLUMN IF NOT EXISTS markets integer "
            "NOT NULL DEFAULT 0"
        )

    async def drop_account_view():
        await RawTable.raw("ALTER TABLE vault.credentials DROP COLUMN IF EXISTS markets")
        await RawTable.raw("ALTER TABLE vault.credentials DROP COLUMN IF EXISTS balances")

    manager.add_raw(add_account_view)
    manager.add_raw_backwards(drop_account_view)
    return manager

"""Hand-written: routing keeps each venue account's equity (from `BalanceChanged`) for sizing."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:20:00:000007"
VERSION = "1.38.0"
DESCRIPTION = "venue_equity: read copy of venue accounts' equity"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_copy():
        await RawTable.raw(
            "CREATE TABLE IF NOT EXISTS routing.venue_equity ("
            "credential_id varchar(64) PRIMARY KEY, user_id varchar(64) NOT NULL, "
            "venue varchar(32) NOT NULL, equity_usd numeric NOT NULL, "
            "as_of timestamptz NOT NULL)"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS venue_equity_user_id ON routing.venue_equity (user_id)"
        )

    async def drop_copy():
        await RawTable.raw("DROP TABLE IF EXISTS routing.venue_equity")

    manager.add_raw(create_copy)
    manager.add_raw_backwards(drop_copy)
    return manager

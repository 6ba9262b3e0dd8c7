"""Hand-written: the simulated exchanges keep a paper wallet per account.

One row per venue, account (API key fingerprint) and asset; an account's rows are made the
first time it trades, with the paper dollars of `NIJA_SIM_PAPER_USD`.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:20:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "sim_balances: paper wallets of the simulated exchanges"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create_wallets():
        await RawTable.raw(
            "CREATE TABLE IF NOT EXISTS execution.sim_balances ("
            "id bigserial PRIMARY KEY, venue varchar(32) NOT NULL, "
            "account varchar(64) NOT NULL, asset varchar(16) NOT NULL, amount numeric NOT NULL, "
            "CONSTRAINT sim_balances_one_per_asset UNIQUE (venue, account, asset))"
        )

    async def drop_wallets():
        await RawTable.raw("DROP TABLE IF EXISTS execution.sim_balances")

    manager.add_raw(create_wallets)
    manager.add_raw_backwards(drop_wallets)
    return manager

"""Hand-written: the simulated exchanges' two reads that walked their whole history.

Found with PostgreSQL's slow-statement log during `bench/orders.py --history 1000000`:
- A book's depletion by recent trades (`sim_venue._CONSUMED_SQL`: one venue and symbol, the
  last 20 seconds) ran for about a second each time, several times an order, once its prepared
  statement moved to a generic plan: the index on `created_at` alone does not bound a
  parameter's range for that plan, which then scanned the table. Indexed by venue, symbol and
  time, the range is an index bound whatever the plan.
- An account's resting limit orders (`sim_wallet._RESTING_SQL`, read when a wallet settles)
  went through the account's index and then filtered all of the account's orders by status:
  half a second at 50,000 orders. Only open orders are indexed for it now.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T17:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "indexes: a simulated book's recent trades; an account's resting orders"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create_indexes():
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS sim_trades_recent "
            "ON execution.sim_trades (venue, symbol, created_at)"
        )
        await RawTable.raw(
            "CREATE INDEX IF NOT EXISTS sim_orders_resting "
            "ON execution.sim_orders (account, venue) WHERE status = 'open'"
        )

    async def drop_indexes():
        await RawTable.raw("DROP INDEX IF EXISTS execution.sim_orders_resting")
        await RawTable.raw("DROP INDEX IF EXISTS execution.sim_trades_recent")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager

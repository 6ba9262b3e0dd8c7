"""Hand-written: each user's order guard, the row a trader's own order is placed under.

The order statement used to move the user's view version (`view_versions`) itself, the row every
fold of execution's reports also moves: an order arriving while a fold's transaction held that
row waited for the fold's commit and was then sent back to check again (tens of milliseconds at
p99 under `bench/orders.py`'s open loop). Orders now move a row of their own: `placed` counts the
user's orders (so another replica's view learns of the day's trades), and the order-rate bucket
lives beside it (NULL: a full bucket), spent by the statement that places the order, so the rate
is exact across replicas and costs no round trip of its own. The view version of folds is read,
not locked: an order is checked against every fold committed when its statement starts.

Before, the bucket was an item in the state port written by a statement of its own before every
order; each user starts with a full burst, once. During a rolling upgrade a replica of the
earlier release neither spends from this bucket nor moves `placed`, and learns of the new
release's orders only when its view reloads: for that while a user can place one burst more
than the rate allows, and trades beyond the day's limit by as many as the other release places.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T14:45:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "order_guards: orders placed per user and the order-rate bucket"


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def create_guards():
        await RawTable.raw(
            "CREATE TABLE IF NOT EXISTS routing.order_guards ("
            "user_id varchar(64) PRIMARY KEY, placed bigint NOT NULL, "
            "rate_tokens double precision, rate_at timestamptz)"
        )

    async def drop_guards():
        await RawTable.raw("DROP TABLE IF EXISTS routing.order_guards")

    manager.add_raw(create_guards)
    manager.add_raw_backwards(drop_guards)
    return manager

"""Hand-written: the kill switch's own closes count as closes in flight.

`orders_open_exits` held unfinished `exit` orders only; a close ordered by the kill switch
(`kill_switch`) also sells the position, so a trader's close must subtract it too.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-03T19:00:00:000006"
VERSION = "1.38.0"
DESCRIPTION = "partial index: unfinished exits include the kill switch's closes"

_INDEX = (
    "CREATE INDEX orders_open_exits ON routing.orders (user_id, symbol) "
    "WHERE signal IN ({signals}) AND parent_order_id IS NULL "
    "AND status NOT IN ('filled', 'rejected', 'expired', 'cancelled')"
)


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def widen():
        await RawTable.raw("DROP INDEX IF EXISTS routing.orders_open_exits")
        await RawTable.raw(_INDEX.format(signals="'exit', 'kill_switch'"))

    async def narrow():
        await RawTable.raw("DROP INDEX IF EXISTS routing.orders_open_exits")
        await RawTable.raw(_INDEX.format(signals="'exit'"))

    manager.add_raw(widen)
    manager.add_raw_backwards(narrow)
    return manager

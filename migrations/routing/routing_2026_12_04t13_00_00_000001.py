"""Hand-written: execution's reports of an order (and the position and balance they moved) are
now folded by one shared batch with its own inbox name (`routing.order-path`). An event one of
the old per-topic batches had applied is recorded under the new name too, so a redelivery just
after the upgrade is not applied again."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T13:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "carry the order path's inbox over to the shared batch"

_OLD_HANDLERS = [
    f"routing.{name}"
    for name in (
        "balance-changed",
        "order-accepted",
        "order-cancelled",
        "order-expired",
        "order-filled",
        "order-rejected",
        "position-changed",
    )
]
_CARRY_OVER = (
    "INSERT INTO routing.inbox (event_id, handler, topic, processed_at) "
    "SELECT DISTINCT ON (event_id) event_id, 'routing.order-path', topic, processed_at "
    "FROM routing.inbox WHERE handler = ANY({}::text[]) ON CONFLICT DO NOTHING"
)


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def carry_over():
        await RawTable.raw(_CARRY_OVER, _OLD_HANDLERS)

    async def nothing_to_undo():
        # The old batches' own rows are untouched; the copies are harmless to them.
        return None

    manager.add_raw(carry_over)
    manager.add_raw_backwards(nothing_to_undo)
    return manager

"""Hand-written: the order path's events are now folded by one shared batch with its own inbox
name (`dashboard.order-path`). An event one of the old per-subscription folds had applied is
recorded under the new name too, so a redelivery just after the upgrade is not applied again."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T09:30:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "carry the order path's inbox over to the shared batch"

_OLD_HANDLERS = [
    f"dashboard.{name}"
    for name in (
        "alerts-bot-position",
        "alerts-bot-status",
        "alerts-position",
        "order-accepted",
        "order-cancelled",
        "order-expired",
        "order-filled",
        "order-rejected",
        "order-routed",
        "screen-balances",
        "screen-bot-positions",
        "screen-bot-status",
        "screen-fills",
        "screen-positions",
        "screen-routes",
        "screen-signals",
    )
]
_CARRY_OVER = (
    "INSERT INTO dashboard.inbox (event_id, handler, topic, processed_at) "
    "SELECT DISTINCT ON (event_id) event_id, 'dashboard.order-path', topic, processed_at "
    "FROM dashboard.inbox WHERE handler = ANY({}::text[]) ON CONFLICT DO NOTHING"
)


class RawTable(Table, schema="dashboard"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="dashboard", description=DESCRIPTION)

    async def carry_over():
        await RawTable.raw(_CARRY_OVER, _OLD_HANDLERS)

    async def nothing_to_undo():
        # The old folds' own rows are untouched; the copies are harmless to them.
        return None

    manager.add_raw(carry_over)
    manager.add_raw_backwards(nothing_to_undo)
    return manager

"""Orders routed before route attempts existed get their first attempt (execution knows them by
their own id), so execution's later reports about them still find them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from modules.kernel.db import ENGINE

ID = "2026-11-24T20:33:01:828592"
VERSION = "1.38.0"
DESCRIPTION = "backfill route attempts"

_BACKFILL = """
INSERT INTO routing.route_attempts
       (attempt_id, order_id, attempt, venue, client_order_id, credential_id, routed_at)
SELECT o.id, o.id, 0, o.venue, o.client_order_id, o.credential_id, o.created_at
  FROM routing.orders o
 WHERE o.kind = 'single'
   AND NOT EXISTS (SELECT 1 FROM routing.route_attempts a WHERE a.order_id = o.id)
ON CONFLICT DO NOTHING
"""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def run() -> None:
        await ENGINE.run_ddl(_BACKFILL)

    manager.add_raw(run)
    return manager

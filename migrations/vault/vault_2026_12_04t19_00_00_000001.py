"""Hand-written: the audit chain's head carries the time of its last entry.

An append read that time from the log in a statement of its own, after locking the head (a read
joined to the lock would see the log as it was before the lock's previous holder). On the head
row, the lock returns it. `last_at_id` says which entry the time is of: an earlier release's
replica moves the head without it, and the next append then reads the log as before.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T19:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "audit head: the time of its last entry"


class RawTable(Table, schema="vault"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    async def add_columns():
        await RawTable.raw(
            "ALTER TABLE vault.audit_head "
            "ADD COLUMN IF NOT EXISTS last_at timestamptz, "
            "ADD COLUMN IF NOT EXISTS last_at_id bigint NOT NULL DEFAULT 0"
        )
        await RawTable.raw(
            "UPDATE vault.audit_head AS h SET last_at = l.at, last_at_id = l.id "
            "FROM vault.audit_log AS l WHERE l.id = h.last_id"
        )

    async def drop_columns():
        await RawTable.raw(
            "ALTER TABLE vault.audit_head DROP COLUMN IF EXISTS last_at, "
            "DROP COLUMN IF EXISTS last_at_id"
        )

    manager.add_raw(add_columns)
    manager.add_raw_backwards(drop_columns)
    return manager

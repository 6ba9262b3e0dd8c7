"""Hand-written: the audit log is append-only at the database too.

A trigger refuses UPDATE and DELETE on `vault.audit_log`, so the application (or anyone using
its role) cannot quietly rewrite history; whoever can disable the trigger is still caught by
the hash chain (`POST /v1/admin/audit/verify`).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T20:20:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "audit log append-only trigger"


class RawTable(Table, schema="vault"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    async def create_trigger():
        await RawTable.raw(
            "CREATE OR REPLACE FUNCTION vault.audit_log_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'vault.audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        await RawTable.raw(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON vault.audit_log "
            "FOR EACH ROW EXECUTE FUNCTION vault.audit_log_append_only()"
        )

    async def drop_trigger():
        await RawTable.raw("DROP TRIGGER IF EXISTS audit_log_append_only ON vault.audit_log")
        await RawTable.raw("DROP FUNCTION IF EXISTS vault.audit_log_append_only()")

    manager.add_raw(create_trigger)
    manager.add_raw_backwards(drop_trigger)
    return manager

"""Hand-written: start the audit hash chain.

Rows written before the chain existed get their hashes now, in id order, so the chain covers
the whole log; the single chain-head row (id = 1) then records the last entry.
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T19:57:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "audit hash chain: backfill and chain head"


class RawTable(Table, schema="vault"):
    pass


async def forwards():
    from modules.vault.domain.audit_chain import entry_hash

    manager = MigrationManager(migration_id=ID, app_name="vault", description=DESCRIPTION)

    async def backfill():
        rows = await RawTable.raw("SELECT * FROM vault.audit_log ORDER BY id")
        previous, last_id = "", 0
        for row in rows:
            details = row["details"]
            details = json.loads(details) if isinstance(details, str) else (details or {})
            digest = entry_hash(previous, {**row, "details": details})
            await RawTable.raw(
                "UPDATE vault.audit_log SET prev_hash = {}, hash = {} WHERE id = {}",
                previous,
                digest,
                row["id"],
            )
            previous, last_id = digest, row["id"]
        await RawTable.raw(
            "INSERT INTO vault.audit_head (id, last_id, last_hash, length) VALUES (1, {}, {}, {}) "
            "ON CONFLICT (id) DO NOTHING",
            last_id,
            previous,
            len(rows),
        )

    manager.add_raw(backfill)
    return manager

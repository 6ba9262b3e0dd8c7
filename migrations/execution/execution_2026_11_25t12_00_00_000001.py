"""Hand-written: positions follow the one fee rule and count the fills folded into them.

- `realised_pnl` becomes net of every fee paid on the position (it was kept apart from fees),
  so rows folded before this migration get their fees charged to it once, here.
- `version` counts the fills folded into a position; `PositionChanged` carries it so readers of
  the events (routing's read copy) keep the newest state whatever order they arrive in. Rows
  folded before start at 0 and go on from there.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-25T12:00:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "positions: realised_pnl net of fees, version"


class RawTable(Table, schema="execution"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def one_fee_rule():
        await RawTable.raw(
            "ALTER TABLE execution.positions ADD COLUMN version bigint NOT NULL DEFAULT 0"
        )
        await RawTable.raw("UPDATE execution.positions SET realised_pnl = realised_pnl - fees")

    async def fees_apart():
        await RawTable.raw("UPDATE execution.positions SET realised_pnl = realised_pnl + fees")
        await RawTable.raw("ALTER TABLE execution.positions DROP COLUMN version")

    manager.add_raw(one_fee_rule)
    manager.add_raw_backwards(fees_apart)
    return manager

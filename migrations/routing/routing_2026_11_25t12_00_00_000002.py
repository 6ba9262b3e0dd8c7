"""Hand-written: `routing.positions` becomes a read copy of execution's positions.

Execution owns positions and their P&L; routing keeps, from `PositionChanged`, each position's
quantity under execution's id (the id users see and close by) and the event `version` it has
applied. Routing's own fold (average price, realised P&L, fees, its own uuid) goes away.

Forwards keeps every old row that already knew execution's id (`execution_position_id`); its
`version` starts at 0, so the next event for it (version >= 1) replaces it. A row without that
id predates execution's positions and has no id a user could name; it is dropped, and the next
fill of that position brings it back. `daily_pnl.realized` is spelt `realised` like everywhere
else (its figures already counted fees, as the one fee rule does).

Backwards restores the old shape with the quantities and ids; average price, realised P&L and
fees come back as 0 (they live in execution's positions).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

# Not shared with another module's migration: Piccolo forgets a reversed migration by its id
# alone, so a shared id would mark the other module's migration as not run either.
ID = "2026-11-25T12:00:00:000002"
VERSION = "1.38.0"
DESCRIPTION = "positions: a read copy of execution's, keyed by its id"

FORWARDS = (
    """
    CREATE TABLE routing.positions_copy (
        id varchar(64) NOT NULL,
        user_id varchar(64) NOT NULL,
        venue varchar(32) NOT NULL,
        symbol varchar(32) NOT NULL,
        quantity numeric NOT NULL,
        version bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL,
        CONSTRAINT positions_copy_pkey PRIMARY KEY (id)
    )
    """,
    """
    INSERT INTO routing.positions_copy (id, user_id, venue, symbol, quantity, version, updated_at)
    SELECT DISTINCT ON (execution_position_id)
           execution_position_id, user_id, venue, symbol, quantity, 0, updated_at
      FROM routing.positions
     WHERE execution_position_id IS NOT NULL
     ORDER BY execution_position_id, updated_at DESC
    """,
    "DROP TABLE routing.positions",
    "ALTER TABLE routing.positions_copy RENAME TO positions",
    "ALTER INDEX routing.positions_copy_pkey RENAME TO positions_pkey",
    "CREATE INDEX positions_user_symbol ON routing.positions (user_id, symbol)",
    "ALTER TABLE routing.daily_pnl RENAME COLUMN realized TO realised",
)

BACKWARDS = (
    "ALTER TABLE routing.daily_pnl RENAME COLUMN realised TO realized",
    """
    CREATE TABLE routing.positions_folded (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id varchar(64) NOT NULL DEFAULT '',
        venue varchar(32) NOT NULL DEFAULT '',
        symbol varchar(32) NOT NULL DEFAULT '',
        quantity numeric NOT NULL DEFAULT 0,
        average_price numeric NOT NULL DEFAULT 0,
        realized_pnl numeric NOT NULL DEFAULT 0,
        fees numeric NOT NULL DEFAULT 0,
        opened_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
        execution_position_id varchar(64) DEFAULT NULL,
        CONSTRAINT positions_folded_pkey PRIMARY KEY (id),
        CONSTRAINT one_per_symbol UNIQUE (user_id, venue, symbol)
    )
    """,
    """
    INSERT INTO routing.positions_folded
           (user_id, venue, symbol, quantity, opened_at, updated_at, execution_position_id)
    SELECT DISTINCT ON (user_id, venue, symbol)
           user_id, venue, symbol, quantity, updated_at, updated_at, id
      FROM routing.positions
     ORDER BY user_id, venue, symbol, updated_at DESC
    """,
    "DROP TABLE routing.positions",
    "ALTER TABLE routing.positions_folded RENAME TO positions",
    "ALTER INDEX routing.positions_folded_pkey RENAME TO positions_pkey",
    "CREATE INDEX positions_execution_position_id ON routing.positions (execution_position_id)",
)


class RawTable(Table, schema="routing"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="routing", description=DESCRIPTION)

    async def read_copy():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def own_fold():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(read_copy)
    manager.add_raw_backwards(own_fold)
    return manager

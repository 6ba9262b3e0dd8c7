"""Hand-written: what recent trades took from a simulated book, kept per second.

A simulated book is its seeded levels less what each side's trades of the last replenish window
(20 s) took, fading out linearly. That was summed from the trades themselves twice an order, one
of them under the market's engine lock: at 120 fills a second, 2,400 trades a read and about
1.6 ms of the database's CPU each, most of what the database spent per order, growing with the
fill rate. The trades are now also summed per venue, symbol, side and second (their quantity and
their quantity times their time, kept by a statement trigger on `sim_trades`, so every way a
trade is written keeps it), so a read sums a window's seconds and walks only the trades of the
one second the window's edge cuts through. Seconds older than an hour are dropped as trades come.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T06:10:00:000001"
VERSION = "1.38.0"
DESCRIPTION = "a simulated book's consumption per second, kept by a trigger on its trades"


class RawTable(Table, schema="execution"):
    pass


# One statement each: a raw query is sent as one prepared statement.
_CREATE = (
    """
CREATE TABLE IF NOT EXISTS execution.sim_consumption (
    id BIGSERIAL PRIMARY KEY,
    venue VARCHAR(32) NOT NULL,
    symbol VARCHAR(32) NOT NULL,
    side VARCHAR(8) NOT NULL,
    second BIGINT NOT NULL,
    quantity NUMERIC NOT NULL,
    weighted NUMERIC NOT NULL,
    CONSTRAINT sim_consumption_one_per_second UNIQUE (venue, symbol, side, second)
)
""",
    """
CREATE OR REPLACE FUNCTION execution.sim_trades_consume() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO execution.sim_consumption AS c (venue, symbol, side, second, quantity, weighted)
    SELECT t.venue, t.symbol, t.side, floor(EXTRACT(EPOCH FROM t.created_at))::bigint,
           sum(t.quantity), sum(t.quantity * EXTRACT(EPOCH FROM t.created_at))
      FROM new_trades t
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4
    ON CONFLICT (venue, symbol, side, second) DO UPDATE
       SET quantity = c.quantity + EXCLUDED.quantity, weighted = c.weighted + EXCLUDED.weighted;
    DELETE FROM execution.sim_consumption c
     USING (SELECT DISTINCT venue, symbol, side FROM new_trades) AS m
     WHERE c.venue = m.venue AND c.symbol = m.symbol AND c.side = m.side
       AND c.second < floor(EXTRACT(EPOCH FROM now()))::bigint - 3600;
    RETURN NULL;
END
$$
""",
    "DROP TRIGGER IF EXISTS sim_trades_consume ON execution.sim_trades",
    """
CREATE TRIGGER sim_trades_consume AFTER INSERT ON execution.sim_trades
    REFERENCING NEW TABLE AS new_trades
    FOR EACH STATEMENT EXECUTE FUNCTION execution.sim_trades_consume()
""",
    """
INSERT INTO execution.sim_consumption (venue, symbol, side, second, quantity, weighted)
SELECT venue, symbol, side, floor(EXTRACT(EPOCH FROM created_at))::bigint,
       sum(quantity), sum(quantity * EXTRACT(EPOCH FROM created_at))
  FROM execution.sim_trades
 WHERE created_at > now() - interval '1 hour'
 GROUP BY 1, 2, 3, 4
ON CONFLICT (venue, symbol, side, second) DO NOTHING
""",
)
_DROP = (
    "DROP TRIGGER IF EXISTS sim_trades_consume ON execution.sim_trades",
    "DROP FUNCTION IF EXISTS execution.sim_trades_consume()",
    "DROP TABLE IF EXISTS execution.sim_consumption",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="execution", description=DESCRIPTION)

    async def create():
        for statement in _CREATE:
            await RawTable.raw(statement)

    async def drop():
        for statement in _DROP:
            await RawTable.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager

"""Fills of single orders (not a split's or TWAP's child), folded in one statement.

The common case of execution's fills: resolving the attempt (locking its order), recording the
fill, moving the order's cumulative figures and, when the fill completes the venue order, the
venue's success, all at once. A child locks its parent first and rolls it up after, so it takes
the two-step path in orders.py; this statement finds no row for it (nor for an unknown
attempt), and the caller falls back to that path.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import msgspec

from modules.execution.contracts import OrderFilled

# Several single orders' fills at once, one per attempt ($1 to $14 arrays, a row each; $15
# when). $14: the venue's order id when the attempt's acceptance came in the same batch as the
# fill (a market order's usually does): recorded here, for the current attempt, with no
# statement of its own (the status moves past 'accepted' with the fill either way). Rows are
# locked in the order given. An order two of the rows would fold onto (two attempts of one
# re-routed order) is left out: one UPDATE cannot apply both, so its fills take the one-by-one
# path, as does a child's or an unknown attempt's.
# Each attempt's order is found by primary keys, one row at a time and in the rows' order (the
# LATERAL with its LIMIT cannot be flattened into a join), whatever the planner believes of the
# tables: without statistics (a young database), it read every top-level order and joined the
# batch to them, a cost that grew with the history (5.7 ms a call after 2,000 orders). The
# UPDATE names its rows' keys as an array for the same reason (else: a hash join over the table).
# A later CTE may update the row an earlier one locked: the lock is this transaction's own. The
# fees' sub-select sees the fills as they were, so it adds the new fill's fee; SET expressions
# see the order as it was, so each CASE compares against the old values.
_FILL_SINGLES = """
WITH input AS (
    SELECT *
      FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::text[], $5::text[],
                  $6::numeric[], $7::numeric[], $8::numeric[], $9::text[], $10::text[],
                  $11::timestamptz[], $12::text[], $13::text[], $14::text[])
           WITH ORDINALITY AS i(attempt_id, cumulative, average, status, fill_id, price,
                                quantity, fee, fee_currency, liquidity, filled_at, venue, symbol,
                                venue_order_id, n)
), attempt AS (
    SELECT i.*, x.*
      FROM input i
     CROSS JOIN LATERAL (
           SELECT o.id AS order_id, a.attempt, o.attempt AS current_attempt,
                  a.venue AS attempt_venue, o.order_type, o.created_at
             FROM routing.route_attempts a
             JOIN routing.orders o ON o.id = a.order_id
            WHERE a.attempt_id = i.attempt_id
              AND o.parent_order_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM input j
                                JOIN routing.route_attempts b ON b.attempt_id = j.attempt_id
                               WHERE b.order_id = a.order_id AND j.n <> i.n)
            LIMIT 1
              FOR UPDATE OF o) x
), fill AS (
    INSERT INTO routing.fills (fill_id, order_id, price, quantity, fee, fee_currency, liquidity,
                               filled_at)
    SELECT fill_id, order_id, price, quantity, fee, fee_currency, liquidity, filled_at
      FROM attempt
    ON CONFLICT (fill_id) DO NOTHING
    RETURNING fill_id, fee
), outcome AS (
    INSERT INTO routing.venue_outcomes (venue, symbol, ok, at)
    SELECT a.venue, a.symbol, true, $15::timestamptz
      FROM attempt a JOIN fill f ON f.fill_id = a.fill_id
     WHERE a.status = 'filled'
), filled AS (
    UPDATE routing.orders o
       SET venue_order_id = CASE WHEN a.venue_order_id IS NOT NULL AND a.attempt = o.attempt
                                 THEN a.venue_order_id ELSE o.venue_order_id END,
           filled_quantity = GREATEST(o.filled_quantity, a.cumulative),
           average_price = CASE WHEN a.cumulative >= o.filled_quantity THEN a.average
                                ELSE o.average_price END,
           fees = (SELECT COALESCE(sum(x.fee), 0) FROM routing.fills x WHERE x.order_id = o.id)
                  + f.fee,
           status = CASE WHEN o.status IN ('filled', 'expired', 'rejected', 'cancelled')
                             THEN o.status
                         WHEN a.status = 'filled'
                              OR GREATEST(o.filled_quantity, a.cumulative) >= o.quantity
                             THEN 'filled'
                         ELSE 'partially_filled' END,
           updated_at = now()
      FROM attempt a JOIN fill f ON f.fill_id = a.fill_id
     WHERE o.id = a.order_id AND o.id = ANY(ARRAY(SELECT order_id FROM attempt))
    RETURNING o.id
)
SELECT a.attempt_id, a.attempt, a.current_attempt, a.attempt_venue AS venue, a.order_type,
       a.created_at, EXISTS (SELECT 1 FROM filled WHERE filled.id = a.order_id) AS recorded
  FROM attempt a
"""


class FillFolded(msgspec.Struct, frozen=True, kw_only=True):
    """A fill folded onto its order; `recorded` False: it was already recorded (no change)."""

    recorded: bool
    attempt: int
    current_attempt: int
    venue: str
    order_type: str
    created_at: datetime | None


def _attempt_uuid(attempt_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(attempt_id)
    except ValueError:
        return None


class FillRepository:
    async def fill_singles(
        self,
        conn: asyncpg.Connection,
        fills: list[tuple[OrderFilled, str | None]],
        at: datetime,
    ) -> dict[str, FillFolded]:
        """Fold each attempt's fill (one each, with the venue's order id when its acceptance
        came along) if the attempt is a single order's, in one statement; by attempt id, those
        it folded (the others: nothing done)."""
        wanted = [
            (aid, fill, venue_order_id)
            for fill, venue_order_id in fills
            if (aid := _attempt_uuid(fill.order_id)) is not None
        ]
        if not wanted:
            return {}
        columns = list(zip(*(fill_parameters(fill, at)[:-1] for _, fill, _ in wanted), strict=True))
        rows = await conn.fetch(
            _FILL_SINGLES,
            [aid for aid, _, _ in wanted],
            *(list(column) for column in columns),
            [venue_order_id for _, _, venue_order_id in wanted],
            at,
        )
        named = {aid: fill.order_id for aid, fill, _ in wanted}
        folded: dict[str, FillFolded] = {}
        for row in rows:
            values = dict(row)
            folded[named[values.pop("attempt_id")]] = msgspec.convert(values, FillFolded)
        return folded


def fill_parameters(event: OrderFilled, at: datetime) -> tuple[object, ...]:
    """A fill's figures in the order both fill statements take them (after the order's id):
    this one's columns for single orders' fills, and `repository/orders.py`'s for the
    others."""
    return (
        event.filled_quantity,
        event.average_price,
        event.status,
        event.fill_id,
        event.price,
        event.quantity,
        event.fee,
        event.fee_currency,
        event.liquidity,
        event.occurred_at,
        event.venue,
        event.symbol,
        at,
    )

"""A fill of a single order (not a split's or TWAP's child), folded in one statement.

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

# $15: the venue's order id when the attempt's acceptance came in the same batch as the fill
# (a market order's usually does): recorded here, for the current attempt, with no statement
# of its own (the status moves past 'accepted' with the fill either way).
# A later CTE may update the row an earlier one locked: the lock is this transaction's own. The
# fees' sub-select sees the fills as they were, so it adds the new fill's fee; SET expressions
# see the order as it was, so each CASE compares against the old values.
_FILL_SINGLE = """
WITH attempt AS (
    SELECT o.id AS order_id, a.attempt, o.attempt AS current_attempt, a.venue, o.order_type,
           o.created_at
      FROM routing.route_attempts a JOIN routing.orders o ON o.id = a.order_id
     WHERE a.attempt_id = $1 AND o.parent_order_id IS NULL
       FOR UPDATE OF o
), fill AS (
    INSERT INTO routing.fills (fill_id, order_id, price, quantity, fee, fee_currency, liquidity,
                               filled_at)
    SELECT $5::text, order_id, $6::numeric, $7::numeric, $8::numeric, $9::text, $10::text,
           $11::timestamptz
      FROM attempt
    ON CONFLICT (fill_id) DO NOTHING
    RETURNING fee
), outcome AS (
    INSERT INTO routing.venue_outcomes (venue, symbol, ok, at)
    SELECT $12::text, $13::text, true, $14::timestamptz FROM fill WHERE $4::text = 'filled'
), filled AS (
    UPDATE routing.orders o
       SET venue_order_id = CASE WHEN $15::text IS NOT NULL AND attempt.attempt = o.attempt
                                 THEN $15::text ELSE o.venue_order_id END,
           filled_quantity = GREATEST(o.filled_quantity, $2::numeric),
           average_price = CASE WHEN $2::numeric >= o.filled_quantity THEN $3::numeric
                                ELSE o.average_price END,
           fees = (SELECT COALESCE(sum(f.fee), 0) FROM routing.fills f WHERE f.order_id = o.id)
                  + (SELECT fee FROM fill),
           status = CASE WHEN o.status IN ('filled', 'expired', 'rejected', 'cancelled')
                             THEN o.status
                         WHEN $4::text = 'filled'
                              OR GREATEST(o.filled_quantity, $2::numeric) >= o.quantity
                             THEN 'filled'
                         ELSE 'partially_filled' END,
           updated_at = now()
      FROM attempt
     WHERE o.id = attempt.order_id AND EXISTS (SELECT 1 FROM fill)
    RETURNING 1
)
SELECT attempt.*, EXISTS (SELECT 1 FROM filled) AS recorded FROM attempt
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
    async def fill_single(
        self,
        conn: asyncpg.Connection,
        event: OrderFilled,
        at: datetime,
        venue_order_id: str | None = None,
    ) -> FillFolded | None:
        """Fold the fill if its attempt is a single order's; None otherwise (nothing done).
        With `venue_order_id`, the attempt's acceptance is recorded with a new fill."""
        aid = _attempt_uuid(event.order_id)
        if aid is None:
            return None
        row = await conn.fetchrow(_FILL_SINGLE, aid, *fill_parameters(event, at), venue_order_id)
        if row is None:
            return None
        values = dict(row)
        values.pop("order_id")
        return msgspec.convert(values, FillFolded)


def fill_parameters(event: OrderFilled, at: datetime) -> tuple[object, ...]:
    """A fill's figures in the order both fill statements take them (after the order's id):
    this one for a single order's fill, and `repository/orders.py`'s for the others."""
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

"""Writes on orders, their route attempts, route decisions and fills.

Intake inserts an order with its first attempt and decision; each re-route adds an attempt and
a decision. Execution's reports are folded onto the order monotonically (statuses only move
forward, cumulative quantities only grow) because events of different topics may be delivered
in any order. Execution knows an order by its route attempt's id, so every report starts by
resolving (and locking) that attempt. A split or TWAP parent mirrors its children.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg
import msgspec

from modules.execution.contracts import OrderExpired, OrderFilled, OrderRejected
from modules.kernel.outbox import OutboxInsert
from modules.routing.domain.venue_scoring import Candidate, Intent, OrderType, Side
from modules.routing.repository.fills import fill_parameters


class OrderGuard(NamedTuple):
    """What a trader's own order is placed at: the versions of the user's view and of the
    global kill switch the risk gate read, the user's order rate (tokens a second, burst), and
    the count of the user's orders placed the view was read at."""

    view_version: int
    global_version: int
    rate_per_second: float
    burst: float
    placed: int


class Guarded(NamedTuple):
    """The guarded insert's outcome. `placed` is the user's new count of orders placed, None
    when nothing was written; then `rate_tokens` (the tokens the user's bucket held as the
    statement began) tells a spent bucket (under one) from a view another writer moved."""

    placed: int | None
    outbox_ids: list[int]
    rate_tokens: float


class NewOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    client_order_id: str
    intent: Intent
    venue: str
    credential_id: str
    created_at: datetime
    source: str = "trader"
    signal: str = "entry"
    priority: int = 3
    kind: str = "single"
    parent_order_id: uuid.UUID | None = None
    notional: Decimal | None = None
    status: str = "routed"


# The order, its first route attempt (a single order's only: a split or TWAP parent has none of
# its own), its route decision and, for a trader's own order (not a split's child or a TWAP
# slice), today's trade count: one statement. Data-modifying CTEs all run whether or not the
# outer statement reads them, and the foreign keys are checked at the statement's end, when the
# order is there.
#
# A trader's own order is placed under the user's order guard (`routing.order_guards`): only at
# the count of orders placed its view was read at ($25), with a token left in the user's
# order-rate bucket ($23 tokens a second, up to $24; NULL is a full bucket), both moved by this
# statement under the row lock every replica's order for the user takes, so the rate and the
# day's trades are exact across replicas. The versions of the user's view and of the global
# kill switch ($21, $22), which folds move, are read, not locked: the order is checked against
# every fold committed when the statement starts and never waits for one still in flight. If a
# version or the count moved, or no token is left, nothing is written: the new count comes back
# (NULL then), with the tokens the statement's snapshot saw (`rate_tokens`) to tell a refusal
# from a view that moved (repository/user_views.py).
_TOKENS_NOW = """LEAST($24::float8, COALESCE(
    {row}.rate_tokens
        + GREATEST(0, EXTRACT(EPOCH FROM $11::timestamptz - {row}.rate_at)::float8) * $23::float8,
    $24::float8))"""
_GUARD = f"""
guard AS (
    INSERT INTO routing.order_guards AS g (user_id, placed, rate_tokens, rate_at)
    SELECT $2::text, 1, $24::float8 - 1, $11::timestamptz
     WHERE COALESCE((SELECT version FROM routing.view_versions WHERE user_id = '*'), 0)
               = $22::bigint
       AND COALESCE((SELECT version FROM routing.view_versions WHERE user_id = $2::text), 0)
               = $21::bigint
       AND ($25::bigint = 0
            OR EXISTS (SELECT 1 FROM routing.order_guards WHERE user_id = $2::text))
       AND $24::float8 >= 1
    ON CONFLICT (user_id) DO UPDATE
       SET placed = g.placed + 1,
           rate_tokens = {_TOKENS_NOW.format(row="g")} - 1,
           rate_at = GREATEST($11::timestamptz, g.rate_at)
     WHERE g.placed = $25::bigint AND {_TOKENS_NOW.format(row="g")} >= 1
    RETURNING placed
),"""  # noqa: S608 (constant text, as are the two below: no value is formatted in)
_RATE_TOKENS = f"""(SELECT {_TOKENS_NOW.format(row="r")}
     FROM (SELECT 1) AS one LEFT JOIN routing.order_guards AS r ON r.user_id = $2::text)"""  # noqa: S608
_PLACE = """
placed AS (
    INSERT INTO routing.orders (id, user_id, client_order_id, symbol, side, order_type, quantity,
        limit_price, status, venue, credential_id, filled_quantity, fees, created_at, updated_at,
        source, signal, priority, kind, parent_order_id, attempt, notional)
    SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::numeric, $8::numeric,
           $12::text, $9::text, $10::text, 0, 0, $11::timestamptz, $11::timestamptz, $13::text,
           $14::text, $15::integer, $16::text, $17::uuid, 0, $18::numeric
      FROM {source}
    RETURNING id, user_id, client_order_id, venue, credential_id, created_at, kind,
              parent_order_id
), attempt AS (
    INSERT INTO routing.route_attempts (attempt_id, order_id, attempt, venue, client_order_id,
        credential_id, routed_at)
    SELECT id, id, 0, venue, client_order_id, credential_id, created_at FROM placed
     WHERE kind = 'single'
), decision AS (
    INSERT INTO routing.route_decisions (order_id, chosen, candidates, decided_at, attempt, why)
    SELECT id, venue, $19::jsonb, created_at, 0, $20::text FROM placed
), today AS (
    INSERT INTO routing.daily_pnl AS d (user_id, day, realised, trades)
    SELECT user_id, (created_at AT TIME ZONE 'UTC')::date, 0, 1 FROM placed
     WHERE parent_order_id IS NULL
    ON CONFLICT (user_id, day) DO UPDATE SET trades = d.trades + 1
){outbox}
SELECT {result}
"""
_INSERT_ORDER = "WITH" + _PLACE.format(source="(SELECT 1) AS one", outbox="", result="1")
_INSERT_GUARDED_ORDER = "WITH" + _GUARD + _PLACE
_INSERT_GUARDED_ORDER_ALONE = _INSERT_GUARDED_ORDER.format(
    source="guard",
    outbox="",
    result="(SELECT placed FROM guard), '{}'::bigint[], " + _RATE_TOKENS,  # noqa: S608
)
# The events of the order (its hand-off to execution) ride in the same statement, written only
# when the order is.
_GUARDED_OUTBOX = ", outbox AS ({insert})"
_WITH_OUTBOX_RESULT = (
    "(SELECT placed FROM guard), ARRAY(SELECT id FROM outbox), " + _RATE_TOKENS  # noqa: S608
)
_INSERT_ATTEMPT = """
INSERT INTO routing.route_attempts (attempt_id, order_id, attempt, venue, client_order_id,
    credential_id, routed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_INSERT_DECISION = """
INSERT INTO routing.route_decisions (order_id, chosen, candidates, decided_at, attempt, why)
VALUES ($1, $2, $3::jsonb, $4, $5, $6)
"""


class AttemptRow(msgspec.Struct, frozen=True, kw_only=True):
    """An execution-side order id resolved to routing's order, locked for update."""

    order_id: uuid.UUID
    attempt: int
    current_attempt: int
    venue: str
    status: str
    user_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    parent_order_id: uuid.UUID | None
    signal: str
    priority: int
    source: str = "trader"
    cancelling: bool = False
    # When the trader's order (or the split/TWAP child) was taken in: the order path's start.
    created_at: datetime | None = None


# One round trip: a split's or TWAP's child locks its parent first (the uncorrelated sub-select
# is a one-time filter, run before any row of the outer query is locked), then its own order.
_LOCK_ATTEMPT = """
WITH parent AS (
    SELECT p.id FROM routing.route_attempts a
      JOIN routing.orders c ON c.id = a.order_id
      JOIN routing.orders p ON p.id = c.parent_order_id
     WHERE a.attempt_id = $1
       FOR UPDATE OF p
)
SELECT o.id AS order_id, a.attempt, o.attempt AS current_attempt, a.venue, o.status, o.user_id,
       o.symbol, o.side, o.order_type, o.quantity, o.limit_price, o.parent_order_id, o.signal,
       o.priority, o.cancel_requested_at IS NOT NULL AS cancelling, o.created_at, o.source
  FROM routing.route_attempts a JOIN routing.orders o ON o.id = a.order_id
 WHERE a.attempt_id = $1 AND (SELECT count(*) FROM parent) >= 0
   FOR UPDATE OF o
"""
# A parent (split or TWAP) mirrors its children: what they filled, and done once none is open
# and (for TWAP) every slice has gone out.
ROLL_UP_PARENT = """
UPDATE routing.orders p
   SET filled_quantity = s.filled, fees = s.fees, average_price = s.average, updated_at = now(),
       status = CASE
           WHEN s.filled >= p.quantity THEN 'filled'
           WHEN s.open = 0 AND NOT EXISTS (SELECT 1 FROM routing.twap_plans t
                                            WHERE t.parent_order_id = p.id
                                              AND t.status = 'active')
               THEN CASE WHEN p.cancel_requested_at IS NOT NULL THEN 'cancelled'
                         WHEN s.filled > 0 THEN 'expired' ELSE 'rejected' END
           WHEN s.filled > 0 THEN 'partially_filled'
           ELSE p.status END
  FROM (SELECT COALESCE(sum(filled_quantity), 0) AS filled, COALESCE(sum(fees), 0) AS fees,
               sum(filled_quantity * average_price) / NULLIF(sum(filled_quantity), 0) AS average,
               count(*) FILTER (WHERE status IN ('routed', 'accepted', 'partially_filled'))
                   AS open
          FROM routing.orders WHERE parent_order_id = $1) s
 WHERE p.id = $1
"""
# Resolves the attempt and records the acceptance in one statement: only the current attempt's
# acceptance counts, and nothing is rolled up (so no parent lock). Returns what the order path's
# timing needs.
_ACCEPTED = """
UPDATE routing.orders o
   SET venue_order_id = $2, updated_at = now(),
       status = CASE WHEN o.status = 'routed' THEN 'accepted' ELSE o.status END
  FROM routing.route_attempts a
 WHERE a.attempt_id = $1 AND o.id = a.order_id AND a.attempt = o.attempt
RETURNING a.venue, o.order_type, o.created_at
"""
# The fill, the order's cumulative figures and, when the fill completes the venue order, the
# venue's success (for the monitor, as repository/outcomes.py records the others) in one
# statement; nothing (no row back) for a fill already recorded. The fees' sub-select sees the
# table as it was, so it adds the new fill's fee.
# SET expressions see the row as it was, so each CASE compares against the old values.
_FILLED = """
WITH fill AS (
    INSERT INTO routing.fills (fill_id, order_id, price, quantity, fee, fee_currency, liquidity,
                               filled_at)
    VALUES ($5, $1, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (fill_id) DO NOTHING
    RETURNING fee
), outcome AS (
    INSERT INTO routing.venue_outcomes (venue, symbol, ok, at)
    SELECT $12::text, $13::text, true, $14::timestamptz FROM fill WHERE $4::text = 'filled'
)
UPDATE routing.orders
   SET filled_quantity = GREATEST(filled_quantity, $2),
       average_price = CASE WHEN $2 >= filled_quantity THEN $3 ELSE average_price END,
       fees = (SELECT COALESCE(sum(fee), 0) FROM routing.fills WHERE order_id = $1)
              + (SELECT fee FROM fill),
       status = CASE WHEN status IN ('filled', 'expired', 'rejected', 'cancelled') THEN status
                     WHEN $4 = 'filled' OR GREATEST(filled_quantity, $2) >= quantity
                         THEN 'filled'
                     ELSE 'partially_filled' END,
       updated_at = now()
 WHERE id = $1 AND EXISTS (SELECT 1 FROM fill)
RETURNING 1
"""
_EXPIRED = """
UPDATE routing.orders
   SET filled_quantity = GREATEST(filled_quantity, $2),
       status = CASE WHEN status IN ('filled', 'rejected', 'cancelled') THEN status
                     ELSE 'expired' END,
       updated_at = now()
 WHERE id = $1
"""
_REJECTED = """
UPDATE routing.orders
   SET status = 'rejected', reject_code = $2, reject_reason = $3, updated_at = now()
 WHERE id = $1 AND status NOT IN ('filled', 'expired', 'cancelled')
"""
_REROUTED = """
UPDATE routing.orders
   SET attempt = $2, venue = $3, client_order_id = $4, credential_id = $5, status = 'routed',
       venue_order_id = NULL, updated_at = now()
 WHERE id = $1
"""


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    """What an acceptance tells the order path's timing: the attempt's venue, the order."""

    venue: str
    order_type: str
    created_at: datetime


def _order_uuid(order_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(order_id)
    except ValueError:
        return None


class OrderRepository:
    # -- intake and re-routes ----------------------------------------------------------------
    async def insert_order(
        self,
        conn: asyncpg.Connection,
        order: NewOrder,
        candidates: tuple[Candidate, ...],
        why: str,
        guard: OrderGuard | None = None,
        outbox: OutboxInsert | None = None,
    ) -> Guarded:
        """Insert the order with its attempt and decision, and a trader's own order with the
        rows of `outbox`.

        A trader's own order (no parent) is placed only as `guard` allows: at the user's view
        and the global kill switch's versions, with a token left in the user's order-rate
        bucket (the statement spends it). What came of it: the user's new count of orders
        placed and the ids of the outbox rows written, or no count when nothing was written."""
        intent = order.intent
        values = (
            order.id,
            order.user_id,
            order.client_order_id,
            intent.symbol,
            intent.side,
            intent.order_type,
            intent.quantity,
            intent.limit_price,
            order.venue,
            order.credential_id,
            order.created_at,
            order.status,
            order.source,
            order.signal,
            order.priority,
            order.kind,
            order.parent_order_id,
            order.notional,
            msgspec.json.encode(candidates).decode(),
            why,
        )
        if order.parent_order_id is not None:
            assert outbox is None, "a child's events are written with its parent's"
            await conn.execute(_INSERT_ORDER, *values)
            return Guarded(None, [], 0.0)
        assert guard is not None, "a trader's own order is placed under its user's guard"
        carried: tuple[Any, ...] = ()
        if outbox is None:
            statement = _INSERT_GUARDED_ORDER_ALONE
        else:
            insert = outbox.sql(first=len(values) + 6, when="EXISTS (SELECT 1 FROM guard)")
            statement = _INSERT_GUARDED_ORDER.format(
                source="guard",
                outbox=_GUARDED_OUTBOX.format(insert=insert),
                result=_WITH_OUTBOX_RESULT,
            )
            carried = outbox.args
        row = await conn.fetchrow(statement, *values, *guard, *carried)
        return Guarded(row[0], list(row[1]), row[2])

    async def insert_attempt(
        self,
        conn: asyncpg.Connection,
        attempt_id: uuid.UUID,
        order_id: uuid.UUID,
        attempt: int,
        venue: str,
        client_order_id: str,
        credential_id: str,
        at: datetime,
    ) -> None:
        await conn.execute(
            _INSERT_ATTEMPT,
            attempt_id,
            order_id,
            attempt,
            venue,
            client_order_id,
            credential_id,
            at,
        )

    async def insert_decision(
        self,
        conn: asyncpg.Connection,
        decision_id: uuid.UUID,
        chosen: str,
        candidates: tuple[Candidate, ...],
        at: datetime,
        attempt: int,
        why: str,
    ) -> None:
        await conn.execute(
            _INSERT_DECISION,
            decision_id,
            chosen,
            msgspec.json.encode(candidates).decode(),
            at,
            attempt,
            why,
        )

    # -- execution's reports ------------------------------------------------------------------
    async def lock_attempt(self, conn: asyncpg.Connection, attempt_id: str) -> AttemptRow | None:
        """Resolve execution's order id to routing's order, locking the order row.

        Siblings of a split or TWAP lock their parent first (the same order everywhere, so no
        deadlock) because the parent's roll-up must see every sibling's committed state.
        """
        aid = _order_uuid(attempt_id)
        if aid is None:
            return None
        row = await conn.fetchrow(_LOCK_ATTEMPT, aid)
        return None if row is None else msgspec.convert(dict(row), AttemptRow)

    async def roll_up(self, conn: asyncpg.Connection, row: AttemptRow) -> None:
        if row.parent_order_id is not None:
            await conn.execute(ROLL_UP_PARENT, row.parent_order_id)

    async def order_accepted(
        self, conn: asyncpg.Connection, attempt_id: str, venue_order_id: str
    ) -> Accepted | None:
        """Record the venue's acceptance of the order's current attempt; None if the attempt is
        unknown or superseded (then nothing changes)."""
        aid = _order_uuid(attempt_id)
        if aid is None:
            return None
        row = await conn.fetchrow(_ACCEPTED, aid, venue_order_id)
        return None if row is None else msgspec.convert(dict(row), Accepted)

    async def order_filled(
        self, conn: asyncpg.Connection, row: AttemptRow, event: OrderFilled, at: datetime
    ) -> bool:
        """Record the fill (and, if it completes the venue order, the venue's success at `at`);
        False if it was already recorded (then nothing else changes).

        Cumulative figures are per venue order; only the current attempt can have any.
        Execution may have sent less than asked (an exit capped at what the position held):
        its word that the order is filled counts."""
        recorded = await conn.fetchval(_FILLED, row.order_id, *fill_parameters(event, at))
        if recorded is None:
            return False
        await self.roll_up(conn, row)
        return True

    async def order_expired(
        self, conn: asyncpg.Connection, row: AttemptRow, event: OrderExpired
    ) -> None:
        await conn.execute(_EXPIRED, row.order_id, event.filled_quantity)
        await self.roll_up(conn, row)

    async def attempt_failed(
        self, conn: asyncpg.Connection, attempt_id: str, event: OrderRejected
    ) -> None:
        await conn.execute(
            "UPDATE routing.route_attempts SET failed_code = $2, failed_reason = $3, "
            "failed_at = now() WHERE attempt_id = $1",
            uuid.UUID(attempt_id),
            event.code,
            event.reason[:500],
        )

    async def order_rejected(
        self, conn: asyncpg.Connection, row: AttemptRow, code: str, reason: str
    ) -> None:
        await conn.execute(_REJECTED, row.order_id, code, reason[:500])
        await self.roll_up(conn, row)

    async def tried_venues(self, conn: asyncpg.Connection, order_id: uuid.UUID) -> set[str]:
        rows = await conn.fetch(
            "SELECT venue FROM routing.route_attempts WHERE order_id = $1", order_id
        )
        return {row["venue"] for row in rows}

    async def rerouted(
        self,
        conn: asyncpg.Connection,
        order_id: uuid.UUID,
        attempt: int,
        venue: str,
        client_order_id: str,
        credential_id: str,
    ) -> None:
        await conn.execute(_REROUTED, order_id, attempt, venue, client_order_id, credential_id)

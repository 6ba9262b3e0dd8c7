"""The order queue and its orders: intake, fair claims, outcomes, fills, unknown fills.

`execution.orders` is the queue itself (durable, shared by replicas, claimed with a conditional
UPDATE); every query runs on the caller's connection, so a use case's writes commit or roll back
with its inbox row and outbox events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.execution.domain.orders import EXIT_SIGNALS, QueuedOrder
from modules.execution.domain.positions import PositionState
from modules.execution.domain.venue import VenueFill
from modules.execution.repository.credentials import Standing, standing_of
from modules.routing.contracts import OrderRouted

# A batch of routed orders queued, each read back with its credential and its user's pause
# (what decides whether it may stay queued: the caller rejects it, or rolls the batch back to
# wait for the credential, in the same transaction, before any worker can see it). Nothing is
# queued for an order (or client order id) known already, or met earlier in the batch; the
# rows come back in the batch's order, and are queued in it (`queued_at` rises row by row).
_ENQUEUE = """
WITH routed AS (
    SELECT *
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                  $7::text[], $8::text[], $9::numeric[], $10::numeric[], $11::int[],
                  $12::text[], $13::text[])
           WITH ORDINALITY AS r(order_id, user_id, client_order_id, venue, credential_id, symbol,
                                side, order_type, quantity, limit_price, priority, signal, source,
                                n)
), enqueued AS (
    INSERT INTO execution.orders
           (order_id, user_id, client_order_id, venue, credential_id, symbol, side, order_type,
            quantity, limit_price, status, filled_quantity, fees, created_at, updated_at,
            priority, signal, source, queued_at)
    SELECT order_id, user_id, client_order_id, venue, credential_id, symbol, side, order_type,
           quantity, limit_price, 'queued', 0, 0, now(), now(), priority, signal, source,
           clock_timestamp()
      FROM routed ORDER BY n
    ON CONFLICT DO NOTHING
    RETURNING order_id
)
SELECT c.*, coalesce(u.paused, false) AS user_paused,
       EXISTS (SELECT 1 FROM enqueued e WHERE e.order_id = r.order_id) AS enqueued
  FROM routed r
  LEFT JOIN execution.credentials c ON c.credential_id = r.credential_id
  LEFT JOIN execution.user_controls u ON u.user_id = r.user_id
 ORDER BY r.n
"""
# The venue's word on an order in one statement, the order locked first: unless it has ended
# (filled, expired, cancelled), its fills not recorded before, its status and totals, and the
# user's run of account errors ended (the venue took an order). Returns the status the order
# had, with the ids of the fills this call recorded, each with the position they fold into
# ($16), which it locks (orders, then positions, as everywhere): a new position is inserted
# empty, an existing one touched by the no-op update, which locks it and returns it as it is.
# No new fill, no position: nothing is folded. A later CTE may update the row `locked` locked:
# the lock is this transaction's own; the CTEs that write read `unended`, so they wait for it.
_RECORD_PLACEMENT = """
WITH locked AS (
    SELECT status FROM execution.orders WHERE order_id = $1 FOR UPDATE
), unended AS (
    SELECT status FROM locked WHERE status NOT IN ('filled', 'expired', 'cancelled')
), recorded AS (
    INSERT INTO execution.fills
           (fill_id, order_id, venue, price, quantity, fee, fee_currency, liquidity, filled_at)
    SELECT f.id, $1, $2, f.price, f.quantity, f.fee, f.currency, f.liquidity, f.at
      FROM unnest($7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::text[],
                  $12::text[], $13::timestamptz[])
           AS f(id, price, quantity, fee, currency, liquidity, at)
     WHERE EXISTS (SELECT 1 FROM unended)
    ON CONFLICT (fill_id) DO NOTHING
    RETURNING fill_id
), updated AS (
    UPDATE execution.orders
       SET status = $3, venue_order_id = $4, filled_quantity = $5, average_price = $6,
           fees = $14, updated_at = now()
     WHERE order_id = $1 AND EXISTS (SELECT 1 FROM unended)
), errors_ended AS (
    UPDATE execution.user_controls SET consecutive_errors = 0, updated_at = now()
     WHERE user_id = $15 AND consecutive_errors <> 0 AND EXISTS (SELECT 1 FROM unended)
), position AS (
    INSERT INTO execution.positions (position_id, user_id, venue, symbol, quantity,
                                     average_entry, realised_pnl, fees, updated_at)
    SELECT $16, '', '', '', 0, 0, 0, 0, now() WHERE EXISTS (SELECT 1 FROM recorded)
    ON CONFLICT (position_id) DO UPDATE SET position_id = EXCLUDED.position_id
    RETURNING quantity, average_entry, realised_pnl, fees, version
)
SELECT locked.status AS before, EXISTS (SELECT 1 FROM unended) AS unended, new.*
  FROM locked
  LEFT JOIN (SELECT recorded.fill_id, position.* FROM recorded CROSS JOIN position) AS new
    ON true
"""
# Each user's next order (highest priority, then oldest); then, across users, highest priority
# first and within it the least recently served user (never served: first). One order per user
# per claim keeps it an equal-share round robin however many orders a claim takes, so a
# flooding user still overtakes another user's order by at most one. Choosing, marking them
# dispatched and taking the users' turns is one statement: a venue's claims are serialised, so
# their round trips cap how many orders a second the venue can be served.
# No row lock in `next` (not allowed beside DISTINCT): `locked` locks each chosen order by its
# primary key and re-checks `status = 'queued'` on the row as it stands once locked, so two
# replicas choosing the same order cannot both claim it. The lookup is one row at a time (the
# LATERAL with its LIMIT is not flattened into a join) and names no status, so the queue's
# partial index cannot serve it: a queue's statistics are whatever it held when last analysed
# (often empty), and with them the UPDATE's join read the whole queue once per chosen order
# (14 ms a claim with 800 orders queued).
_CLAIM_NEXT = """
WITH queued AS (
    SELECT o.order_id, o.user_id, o.priority, o.queued_at
      FROM execution.orders o
     WHERE o.venue = $1 AND o.status = 'queued' AND NOT (o.credential_id = ANY($2::text[]))
), candidates AS (
    SELECT DISTINCT ON (q.user_id)
           q.order_id, q.priority, q.queued_at, t.served_at AS previous_turn
      FROM queued q
      LEFT JOIN execution.queue_turns t ON t.turn_id = $1 || ':' || q.user_id
     ORDER BY q.user_id, q.priority, q.queued_at, q.order_id
), next AS (
    SELECT * FROM candidates
     ORDER BY priority, previous_turn NULLS FIRST, queued_at, order_id
     LIMIT $4
), locked AS (
    SELECT n.order_id, n.previous_turn
      FROM next n
     CROSS JOIN LATERAL (SELECT o.status FROM execution.orders o
                          WHERE o.order_id = n.order_id LIMIT 1 FOR UPDATE) x
     WHERE x.status = 'queued'
), claimed AS (
    UPDATE execution.orders o
       SET status = 'placing', dispatched_at = clock_timestamp(), claimed_by = $3,
           updated_at = now()
      FROM locked WHERE o.order_id = locked.order_id
    RETURNING o.*, locked.previous_turn,
              o.signal <> 'kill_switch' AND EXISTS (
                  SELECT 1 FROM execution.kill_switches k WHERE k.subject IN ('*', o.user_id)
              ) AS halted
), turn AS (
    INSERT INTO execution.queue_turns (turn_id, venue, user_id, served_at)
    SELECT venue || ':' || user_id, venue, user_id, clock_timestamp() FROM claimed
    ON CONFLICT (turn_id) DO UPDATE SET served_at = EXCLUDED.served_at
)
SELECT claimed.*, (SELECT count(*) FROM queued) AS queued
  FROM claimed ORDER BY priority, previous_turn NULLS FIRST, queued_at, order_id
"""
_EXIT_ROOM = """
SELECT COALESCE((SELECT quantity FROM execution.positions WHERE position_id = $1), 0) AS held,
       COALESCE((SELECT sum(quantity - filled_quantity) FROM execution.orders
                  WHERE user_id = $2 AND venue = $3 AND symbol = $4 AND side = $5
                    AND order_id <> $6 AND signal = ANY($7::text[])
                    AND status IN ('placing', 'ambiguous', 'open', 'partially_filled')), 0)
         AS closing
"""
# Give back a claim whose account had no rate-limit token: queued again in its old place, and
# the user's turn as it was, so being skipped costs the user nothing.
_REQUEUE = """
UPDATE execution.orders
   SET status = 'queued', dispatched_at = NULL, claimed_by = NULL, updated_at = now()
 WHERE order_id = $1 AND status = 'placing'
"""
_RESTORE_TURN = """
UPDATE execution.queue_turns SET served_at = $3 WHERE turn_id = $1 || ':' || $2
"""
_FORGET_TURN = """
DELETE FROM execution.queue_turns WHERE turn_id = $1 || ':' || $2
"""


class Enqueued(msgspec.Struct, frozen=True, kw_only=True):
    fresh: bool  # False: the order was known already, and nothing was queued
    standing: Standing


class Recorded(msgspec.Struct, frozen=True, kw_only=True):
    before: str | None  # the order's status before; None: not known here
    ended: bool  # it had ended (filled, expired, cancelled): nothing was recorded
    fill_ids: set[str]
    position: PositionState | None  # locked; None when no fill was new


class OrderRepository:
    async def enqueue(self, conn: asyncpg.Connection, events: list[OrderRouted]) -> list[Enqueued]:
        """Queue the orders (not one that, or whose client order id, is already known), and
        read each one's credential and its user's pause with it; in the events' order."""
        rows = await conn.fetch(
            _ENQUEUE,
            [event.order_id for event in events],
            [event.user_id for event in events],
            [event.client_order_id for event in events],
            [event.venue for event in events],
            [event.credential_id for event in events],
            [event.symbol for event in events],
            [event.side for event in events],
            [event.order_type for event in events],
            [event.quantity for event in events],
            [event.limit_price for event in events],
            [min(max(event.priority, 1), 4) for event in events],
            [event.signal for event in events],
            [event.source for event in events],
        )
        return [Enqueued(fresh=row["enqueued"], standing=standing_of(row)) for row in rows]

    async def lock_queued(self, conn: asyncpg.Connection, user_id: str | None) -> list[QueuedOrder]:
        """Orders still waiting in the queue (one user's, or everyone's), locked for a change,
        but for the closes the kill switch itself sent.

        SKIP LOCKED leaves alone an order a worker is claiming right now: it is already on
        its way to the venue, where a halt can no longer stop it.
        """
        rows = await conn.fetch(
            "SELECT * FROM execution.orders WHERE status = 'queued' "
            "AND ($1::text IS NULL OR user_id = $1) AND signal <> 'kill_switch' "
            "FOR UPDATE SKIP LOCKED",
            user_id,
        )
        return [_queued(row) for row in rows]

    async def claim_next(
        self,
        conn: asyncpg.Connection,
        venue: str,
        skip_credentials: list[str],
        replica: str,
        limit: int,
    ) -> tuple[list[tuple[QueuedOrder, datetime | None, bool]], bool]:
        """Claim up to `limit` orders (one per user) on `venue`, each with its user's last turn
        and whether a kill switch engaged now halts it; and whether they were all the queue
        held for the venue (not counting the skipped accounts' orders). Nothing claimed says
        nothing of the queue: another replica may have taken what was there."""
        rows = await conn.fetch(_CLAIM_NEXT, venue, skip_credentials, replica, limit)
        drained = bool(rows) and rows[0]["queued"] <= len(rows)
        return [(_queued(row), row["previous_turn"], row["halted"]) for row in rows], drained

    async def set_kill_switch(self, conn: asyncpg.Connection, subject: str, active: bool) -> None:
        if active:
            await conn.execute(
                "INSERT INTO execution.kill_switches (subject, engaged_at) VALUES ($1, now()) "
                "ON CONFLICT (subject) DO NOTHING",
                subject,
            )
        else:
            await conn.execute("DELETE FROM execution.kill_switches WHERE subject = $1", subject)

    async def unclaim(
        self, conn: asyncpg.Connection, order: QueuedOrder, previous_turn: datetime | None
    ) -> None:
        async with conn.transaction():
            await conn.execute(_REQUEUE, order.order_id)
            if previous_turn is None:
                await conn.execute(_FORGET_TURN, order.venue, order.user_id)
            else:
                await conn.execute(_RESTORE_TURN, order.venue, order.user_id, previous_turn)

    async def order(self, conn: asyncpg.Connection, order_id: str) -> QueuedOrder | None:
        row = await conn.fetchrow(
            "SELECT * FROM execution.orders WHERE order_id = $1 FOR UPDATE", order_id
        )
        return None if row is None else _queued(row)

    async def unsettled(self, conn: asyncpg.Connection, replica: str) -> list[QueuedOrder]:
        """Orders a (dead) replica claimed or left ambiguous, and open orders, to reconcile."""
        rows = await conn.fetch(
            "SELECT * FROM execution.orders WHERE status IN ('placing', 'ambiguous') "
            "AND claimed_by IS DISTINCT FROM $1 "
            "OR status IN ('open', 'partially_filled') ORDER BY created_at",
            replica,
        )
        return [_queued(r) for r in rows]

    async def ambiguous(self, conn: asyncpg.Connection) -> list[QueuedOrder]:
        rows = await conn.fetch(
            "SELECT * FROM execution.orders WHERE status = 'ambiguous' ORDER BY created_at"
        )
        return [_queued(r) for r in rows]

    async def set_status(self, conn: asyncpg.Connection, order_id: str, status: str) -> None:
        await conn.execute(
            "UPDATE execution.orders SET status = $2, updated_at = now() WHERE order_id = $1",
            order_id,
            status,
        )

    async def exit_room(
        self, conn: asyncpg.Connection, order: QueuedOrder, position_id: str
    ) -> tuple[Decimal, Decimal]:
        """(the position held, what other exits in flight on it will still trade)."""
        row = await conn.fetchrow(
            _EXIT_ROOM,
            position_id,
            order.user_id,
            order.venue,
            order.symbol,
            order.side,
            order.order_id,
            list(EXIT_SIGNALS),
        )
        return row["held"], row["closing"]

    async def shrink(self, conn: asyncpg.Connection, order_id: str, quantity: Decimal) -> None:
        await conn.execute(
            "UPDATE execution.orders SET quantity = $2, updated_at = now() WHERE order_id = $1",
            order_id,
            quantity,
        )

    async def request_cancel(self, conn: asyncpg.Connection, order_id: str) -> None:
        await conn.execute(
            "UPDATE execution.orders SET cancel_requested_at = now(), updated_at = now() "
            "WHERE order_id = $1 AND cancel_requested_at IS NULL",
            order_id,
        )

    async def resting(self, conn: asyncpg.Connection, *, cancelling: bool) -> list[QueuedOrder]:
        """Orders at the venue with an unfilled rest: those a cancel waits for, or the others."""
        rows = await conn.fetch(
            "SELECT * FROM execution.orders WHERE status IN ('open', 'partially_filled') "
            "AND (cancel_requested_at IS NOT NULL) = $1 ORDER BY created_at",
            cancelling,
        )
        return [_queued(r) for r in rows]

    async def queue_depths(self, conn: asyncpg.Connection) -> dict[str, int]:
        rows = await conn.fetch(
            "SELECT venue, count(*) AS n FROM execution.orders WHERE status = 'queued' "
            "GROUP BY venue"
        )
        return {r["venue"]: int(r["n"]) for r in rows}

    async def unfinished(self, conn: asyncpg.Connection) -> int:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM execution.orders "
                "WHERE status IN ('queued', 'placing', 'ambiguous')"
            )
        )

    async def known_client_ids(self, conn: asyncpg.Connection, ids: list[str]) -> set[str]:
        rows = await conn.fetch(
            "SELECT client_order_id FROM execution.orders WHERE client_order_id = ANY($1)", ids
        )
        return {r["client_order_id"] for r in rows}

    async def record_unknown(
        self, conn: asyncpg.Connection, venue: str, user_id: str, venue_order_id: str, cid: str
    ) -> bool:
        return (
            await conn.fetchval(
                "INSERT INTO execution.unknown_fills "
                "(venue_order_id, venue, user_id, client_order_id, detected_at) "
                "VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING RETURNING venue_order_id",
                venue_order_id,
                venue,
                user_id,
                cid,
            )
            is not None
        )

    async def mark_rejected(self, conn: asyncpg.Connection, order_id: str, code: str) -> None:
        await conn.execute(
            "UPDATE execution.orders SET status = 'rejected', reject_code = $2, updated_at = now() "
            "WHERE order_id = $1",
            order_id,
            code,
        )

    async def record_placement(
        self,
        conn: asyncpg.Connection,
        *,
        order_id: str,
        user_id: str,
        venue: str,
        venue_order_id: str,
        status: str,
        fills: Sequence[VenueFill],
        average_price: Decimal | None,
        position_id: str,
    ) -> Recorded:
        """The order's status before (None: not known here), whether it had ended, and if not,
        the fill ids recorded by this call (the others were recorded before) and, when there are
        any, the position they fold into, locked until the transaction ends."""
        rows = await conn.fetch(
            _RECORD_PLACEMENT,
            order_id,
            venue,
            status,
            venue_order_id,
            sum((f.quantity for f in fills), Decimal(0)),
            average_price,
            [f.trade_id for f in fills],
            [f.price for f in fills],
            [f.quantity for f in fills],
            [f.fee for f in fills],
            [f.fee_currency for f in fills],
            [f.liquidity for f in fills],
            [f.at for f in fills],
            sum((f.fee for f in fills), Decimal(0)),
            user_id,
            position_id,
        )
        if not rows:
            return Recorded(before=None, ended=False, fill_ids=set(), position=None)
        first = rows[0]
        before, ended = first["before"], not first["unended"]
        if first["fill_id"] is None:
            return Recorded(before=before, ended=ended, fill_ids=set(), position=None)
        position = PositionState(
            quantity=first["quantity"],
            average_entry=first["average_entry"],
            realised_pnl=first["realised_pnl"],
            fees=first["fees"],
            version=first["version"],
        )
        fill_ids = {row["fill_id"] for row in rows}
        return Recorded(before=before, ended=ended, fill_ids=fill_ids, position=position)


def _queued(row: Any) -> QueuedOrder:
    return QueuedOrder(
        order_id=row["order_id"],
        user_id=row["user_id"],
        client_order_id=row["client_order_id"],
        venue=row["venue"],
        credential_id=row["credential_id"],
        symbol=row["symbol"],
        side=row["side"],
        order_type=row["order_type"],
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        status=row["status"],
        priority=row["priority"],
        signal=row["signal"],
        source=row["source"],
    )

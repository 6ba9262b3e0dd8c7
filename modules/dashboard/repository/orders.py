"""Writes of the dashboard's read models, and the reads the event folds need.

These run inside an event handler's transaction and take its asyncpg connection: the row lock
must belong to that transaction. Marking a notification read is the one write from a request.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.dashboard.domain.read_model import (
    FillRecord,
    FillTotals,
    NotificationRecord,
    OrderRecord,
    Target,
)
from modules.dashboard.tables.orders import Notification

_ORDER_COLUMNS = tuple(f for f in OrderRecord.__struct_fields__)
_MUTABLE = tuple(c for c in _ORDER_COLUMNS if c not in {"order_id", "user_id"})
# Column names come from OrderRecord's own fields, never from input.
_UPDATE_SQL = (
    "UPDATE dashboard.orders SET "  # noqa: S608
    + ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(_MUTABLE))
    + " WHERE order_id = $1"
)
# Many rows in one statement: the records as JSON, typed by the table's own row type. Their ids
# again as an array ($2), so the rows are found by key: the planner takes the JSON for a hundred
# rows and, with a young table's statistics, read the whole table to join them (9 ms at 12,000
# orders, in the bench's open loop).
_UPDATE_MANY_SQL = (
    "UPDATE dashboard.orders AS o SET "  # noqa: S608
    + ", ".join(f"{column} = r.{column}" for column in _MUTABLE)
    + " FROM jsonb_populate_recordset(NULL::dashboard.orders, $1::jsonb) AS r"
    " WHERE o.order_id = r.order_id AND o.order_id = ANY($2::text[])"
)
# The attempts mapped to their orders (the last word on an id wins), then the order rows created
# or locked: the insert's one-time filter reads `mapped` to the end first, so the attempt rows
# are locked before the order rows, as every fold takes them.
_LOCK_ORDERS_SQL = """
WITH mapped AS (
    INSERT INTO dashboard.order_attempts (attempt_order_id, order_id, attempt)
    SELECT * FROM unnest($4::text[], $5::text[], $6::int[]) AS m(a, o, n) ORDER BY m.a
    ON CONFLICT (attempt_order_id) DO UPDATE
       SET order_id = EXCLUDED.order_id, attempt = EXCLUDED.attempt
    RETURNING 1
)
INSERT INTO dashboard.orders AS o (order_id, user_id, status, filled_quantity, fees, revision,
                                   created_at, updated_at)
SELECT u.o, u.u, 'routed', 0, 0, 0, u.t, u.t
  FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(o, u, t)
 WHERE (SELECT count(*) FROM mapped) >= 0
 ORDER BY u.o
ON CONFLICT (order_id) DO UPDATE SET revision = o.revision
RETURNING o.*
"""
_FILL_COLUMNS = tuple(FillRecord.__struct_fields__)
_FILL_TYPES = {
    "price": "numeric",
    "quantity": "numeric",
    "fee": "numeric",
    "executed_at": "timestamptz",
}
# An attempt's fills are stored under the attempt's id; the order's are all of its attempts'.
# A batch's fills (with the trader order each is of) in one statement, and each fill's order
# totals as they stand after it: what the order's fills summed before the batch, plus the
# batch's new fills up to it, in the batch's order. A fill recorded before, or twice in the
# batch, adds nothing. The order's ids (its own and its attempts') are listed first and joined
# to the fills by equality: an OR in the join condition read every fill ever recorded.
_ADD_FILLS_SQL = (
    "WITH incoming AS (SELECT * FROM unnest($1::text[], "  # noqa: S608 - FillRecord's names
    + ", ".join(f"${i + 2}::{_FILL_TYPES.get(c, 'text')}[]" for i, c in enumerate(_FILL_COLUMNS))
    + f") WITH ORDINALITY AS f(target, {', '.join(_FILL_COLUMNS)}, n)), "  # noqa: S608
    f"added AS (INSERT INTO dashboard.fills ({', '.join(_FILL_COLUMNS)}) "
    f"SELECT {', '.join(_FILL_COLUMNS)} FROM incoming ORDER BY n "
    "ON CONFLICT (order_id, fill_id) DO NOTHING RETURNING order_id, fill_id), "
    "recorded AS (SELECT t.target, coalesce(sum(f.quantity), 0) AS quantity, "
    "coalesce(sum(f.fee), 0) AS fees, coalesce(sum(f.price * f.quantity), 0) AS notional "
    "FROM (SELECT DISTINCT target FROM incoming) AS t CROSS JOIN LATERAL "
    "(SELECT t.target AS id UNION SELECT a.attempt_order_id FROM dashboard.order_attempts a "
    "WHERE a.order_id = t.target) AS ids LEFT JOIN dashboard.fills f ON f.order_id = ids.id "
    "GROUP BY t.target) "
    "SELECT n, added, "
    "before_quantity + sum(CASE WHEN added THEN quantity ELSE 0 END) OVER w AS quantity, "
    "before_fees + sum(CASE WHEN added THEN fee ELSE 0 END) OVER w AS fees, "
    "before_notional + sum(CASE WHEN added THEN price * quantity ELSE 0 END) OVER w "
    "AS notional FROM (SELECT i.n, i.target, i.price, i.quantity, i.fee, "
    "a.fill_id IS NOT NULL AND row_number() OVER "
    "(PARTITION BY i.order_id, i.fill_id ORDER BY i.n) = 1 AS added, "
    "r.quantity AS before_quantity, r.fees AS before_fees, r.notional AS before_notional "
    "FROM incoming i JOIN recorded r ON r.target = i.target "
    "LEFT JOIN added a ON a.order_id = i.order_id AND a.fill_id = i.fill_id) AS s "
    "WINDOW w AS (PARTITION BY target ORDER BY n) ORDER BY n"
)


def _order(row: Any) -> OrderRecord:
    return msgspec.convert(dict(row), OrderRecord)


def _notification(row: Any) -> NotificationRecord:
    return msgspec.convert(dict(row), NotificationRecord)


class DashboardRepository:
    # ---- writes, inside an event handler's transaction ----------------------------------

    async def lock_order(
        self, conn: asyncpg.Connection, order_id: str, user_id: str, seen_at: datetime
    ) -> OrderRecord:
        """The order's row, created if this is the first event about it, locked until commit.

        Events of one order arrive on different topics concurrently; the row lock serialises
        them so each applies to the state the previous one left.
        """
        await conn.execute(
            "INSERT INTO dashboard.orders (order_id, user_id, status, filled_quantity, fees, "
            "revision, created_at, updated_at) VALUES ($1, $2, 'routed', 0, 0, 0, $3, $3) "
            "ON CONFLICT (order_id) DO NOTHING",
            order_id,
            user_id,
            seen_at,
        )
        row = await conn.fetchrow(
            "SELECT * FROM dashboard.orders WHERE order_id = $1 FOR UPDATE", order_id
        )
        return _order(row)

    async def lock_orders(
        self,
        conn: asyncpg.Connection,
        seeds: list[tuple[str, str, datetime]],
        attempts: list[tuple[str, Target]] | None = None,
    ) -> dict[str, OrderRecord]:
        """`lock_order` for a batch: (order id, user id, first seen) each, in one statement;
        with `attempts`, which order each execution order id is for is recorded first, in the
        same statement (`map_attempts`: attempt rows before order rows, as every fold takes
        them).

        A row that exists is "updated" to itself, which locks it and returns it as it is; the
        rows are taken in order-id order, so two batches wait for each other, never deadlock.
        """
        if not seeds and not attempts:
            return {}
        seeds = sorted(seeds)
        mapped = dict(sorted(attempts or [], key=lambda pair: pair[0]))
        rows = await conn.fetch(
            _LOCK_ORDERS_SQL,
            [order_id for order_id, _user, _at in seeds],
            [user_id for _order, user_id, _at in seeds],
            [at for _order, _user, at in seeds],
            list(mapped),
            [target.order_id for target in mapped.values()],
            [target.attempt for target in mapped.values()],
        )
        return {row["order_id"]: _order(row) for row in rows}

    async def save_orders(self, conn: asyncpg.Connection, records: list[OrderRecord]) -> None:
        """Write the batch's changed rows back, one statement for all."""
        if records:
            await conn.execute(
                _UPDATE_MANY_SQL,
                msgspec.json.encode(records).decode(),
                [record.order_id for record in records],
            )

    async def save_order(self, conn: asyncpg.Connection, record: OrderRecord) -> None:
        await conn.execute(
            _UPDATE_SQL, record.order_id, *(getattr(record, column) for column in _MUTABLE)
        )

    async def add_fill(
        self, conn: asyncpg.Connection, fill: FillRecord, order_id: str
    ) -> FillTotals | None:
        """Record a fill and sum every fill of `order_id` with it, one statement; None when this
        fill of this order was already recorded."""
        [totals] = await self.add_fills(conn, [(fill, order_id)])
        return totals

    async def add_fills(
        self, conn: asyncpg.Connection, fills: list[tuple[FillRecord, str]]
    ) -> list[FillTotals | None]:
        """Record a batch's fills, each with the trader order it is of, in one statement; for
        each, its order's totals with it (and the batch's fills before it), or None when it
        was already recorded."""
        rows = await conn.fetch(
            _ADD_FILLS_SQL,
            [order_id for _, order_id in fills],
            *([getattr(fill, column) for fill, _ in fills] for column in _FILL_COLUMNS),
        )
        return [
            FillTotals(row["quantity"], row["fees"], row["notional"]) if row["added"] else None
            for row in rows
        ]

    async def target_of(self, conn: asyncpg.Connection, attempt_order_id: str) -> Target | None:
        """The order an execution order id belongs to; None while its `OrderRouted` is unseen.

        On None the caller holds a lock on the attempt's row until commit, so the `OrderRouted`
        handler (which takes it to map the attempt) replays only after the caller has parked.
        """
        target = await self._mapped(conn, attempt_order_id)
        if target is not None:
            return target
        # Order rows are keyed by the trader's id only, and an order's first attempt runs under
        # that very id: a row by this id means this is the first attempt (or an order from
        # before attempts were mapped).
        if await conn.fetchval(
            "SELECT 1 FROM dashboard.orders WHERE order_id = $1", attempt_order_id
        ):
            return Target(attempt_order_id, 0)
        await conn.execute(
            "INSERT INTO dashboard.order_attempts (attempt_order_id) VALUES ($1) "
            "ON CONFLICT DO NOTHING",
            attempt_order_id,
        )
        return await self._mapped(conn, attempt_order_id)

    async def targets_of(
        self, conn: asyncpg.Connection, attempt_order_ids: list[str]
    ) -> dict[str, Target]:
        """`target_of` for a batch, one statement: the attempts already mapped (held FOR SHARE
        like `target_of` does); the others are left to `target_of`, one by one."""
        rows = await conn.fetch(
            "SELECT attempt_order_id, order_id, attempt FROM dashboard.order_attempts "
            "WHERE attempt_order_id = ANY($1::text[]) AND order_id IS NOT NULL "
            "ORDER BY attempt_order_id FOR SHARE",
            sorted(attempt_order_ids),
        )
        return {row["attempt_order_id"]: Target(row["order_id"], row["attempt"]) for row in rows}

    async def _mapped(self, conn: asyncpg.Connection, attempt_order_id: str) -> Target | None:
        row = await conn.fetchrow(
            "SELECT order_id, attempt FROM dashboard.order_attempts "
            "WHERE attempt_order_id = $1 FOR SHARE",
            attempt_order_id,
        )
        if row is None or row["order_id"] is None:
            return None
        return Target(row["order_id"], row["attempt"])

    async def park(
        self,
        conn: asyncpg.Connection,
        attempt_order_id: str,
        topic: str,
        payload: bytes,
        received_at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO dashboard.pending_events (attempt_order_id, topic, payload, received_at) "
            "VALUES ($1, $2, $3, $4)",
            attempt_order_id,
            topic,
            payload,
            received_at,
        )

    async def unpark(
        self, conn: asyncpg.Connection, attempt_order_ids: list[str]
    ) -> list[tuple[str, str, bytes]]:
        """Take the events parked for these attempts, (attempt id, topic, payload) in the order
        they came. Run after the attempts are mapped (`lock_orders`), in a statement of its
        own: its snapshot is taken once the attempts' rows are locked, so it sees what a parker
        committed meanwhile."""
        rows = await conn.fetch(
            "WITH taken AS (DELETE FROM dashboard.pending_events "
            "WHERE attempt_order_id = ANY($1::text[]) "
            "RETURNING id, attempt_order_id, topic, payload) "
            "SELECT attempt_order_id, topic, payload FROM taken ORDER BY id",
            attempt_order_ids,
        )
        return [(row["attempt_order_id"], row["topic"], bytes(row["payload"])) for row in rows]

    # ---- from a request ------------------------------------------------------------------

    async def mark_read(
        self, user_id: str, notification_id: uuid.UUID, read_at: datetime
    ) -> NotificationRecord | None:
        """Mark read (keeping the first read time); None when the user has no such row."""
        where = (Notification.id == notification_id) & (Notification.user_id == user_id)
        await Notification.update({Notification.read_at: read_at}).where(
            where & Notification.read_at.is_null()
        )
        row = await Notification.select().where(where).first()
        return None if row is None else _notification(row)

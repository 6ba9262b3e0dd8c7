"""Queries on orders, their route attempts and route decisions (reached as
`RoutingRepository.orders`): the writes of intake and re-routes, the reads behind an order's
page and the admin's routing overview.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.kernel.db import Database
from modules.routing.adapters.venue_scoring import Candidate, Intent
from modules.routing.tables import Fill, Order, RouteAttempt


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


_INSERT_ORDER = """
INSERT INTO routing.orders (id, user_id, client_order_id, symbol, side, order_type, quantity,
    limit_price, status, venue, credential_id, filled_quantity, fees, created_at, updated_at,
    source, signal, priority, kind, parent_order_id, attempt, notional)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12, $9, $10, 0, 0, $11, $11, $13, $14, $15, $16, $17, 0,
        $18)
"""
_INSERT_ATTEMPT = """
INSERT INTO routing.route_attempts (attempt_id, order_id, attempt, venue, client_order_id,
    credential_id, routed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""
_INSERT_DECISION = """
INSERT INTO routing.route_decisions (order_id, chosen, candidates, decided_at, attempt, why)
VALUES ($1, $2, $3::jsonb, $4, $5, $6)
"""


class OrderQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- writes: intake and re-routes --------------------------------------------------------
    async def insert_order(
        self,
        conn: asyncpg.Connection,
        order: NewOrder,
        candidates: tuple[Candidate, ...],
        why: str,
    ) -> None:
        intent = order.intent
        await conn.execute(
            _INSERT_ORDER,
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
        )
        if order.kind == "single":
            await self.insert_attempt(
                conn,
                order.id,
                order.id,
                0,
                order.venue,
                order.client_order_id,
                order.credential_id,
                order.created_at,
            )
        await self.insert_decision(
            conn, order.id, order.venue, candidates, order.created_at, 0, why
        )

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

    # -- an order's page ----------------------------------------------------------------------
    async def list_orders(self, user_id: str, limit: int, offset: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await Order.select()
            .where(Order.user_id == user_id)
            .order_by(Order.created_at, ascending=False)
            .order_by(Order.id, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        return rows

    async def order(self, user_id: str, order_id: uuid.UUID) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await Order.select().where((Order.id == order_id) & (Order.user_id == user_id)).first()
        )
        return row

    async def fills(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await Fill.select().where(Fill.order_id == order_id).order_by(Fill.filled_at)
        )
        return rows

    async def decisions(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every route decision of the order: the first, and one per re-route."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT d.chosen, d.candidates, d.decided_at, d.attempt, d.why "
                "FROM routing.route_decisions d WHERE d.order_id = $1 OR d.order_id IN "
                "(SELECT attempt_id FROM routing.route_attempts WHERE order_id = $1) "
                "ORDER BY d.attempt",
                order_id,
            )
        return [dict(row) for row in rows]

    async def attempts(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await RouteAttempt.select()
            .where(RouteAttempt.order_id == order_id)
            .order_by(RouteAttempt.attempt)
        )
        return rows

    async def children(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await Order.select()
            .where(Order.parent_order_id == order_id)
            .order_by(Order.created_at)
            .order_by(Order.id)
        )
        return rows

    # -- admin overview ----------------------------------------------------------------------
    async def recent_decisions(self, limit: int) -> list[dict[str, Any]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT d.order_id AS decision_id, COALESCE(a.order_id, d.order_id) AS order_id, "
                "d.attempt, d.chosen, d.decided_at, d.why, o.user_id, o.symbol, o.side, "
                "o.quantity, o.kind FROM routing.route_decisions d "
                "LEFT JOIN routing.route_attempts a ON a.attempt_id = d.order_id "
                "JOIN routing.orders o ON o.id = COALESCE(a.order_id, d.order_id) "
                "ORDER BY d.decided_at DESC LIMIT $1",
                limit,
            )
        return [dict(row) for row in rows]

    async def venue_counts(self, since: datetime) -> list[dict[str, Any]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT venue, count(*) AS routed, count(failed_code) AS failed "
                "FROM routing.route_attempts WHERE routed_at >= $1 GROUP BY venue ORDER BY venue",
                since,
            )
        return [dict(row) for row in rows]

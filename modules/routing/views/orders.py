"""A trader's orders: the page of orders, one order with its fills, and why it went where.

Reads use the Piccolo query builder on the pool, or asyncpg where a join is needed; rows are
turned into the shapes of `schemas.py` here.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from modules.kernel.auth import Principal
from modules.kernel.db import Database
from modules.kernel.refusal import Kind, Refused
from modules.routing.schemas import (
    AttemptView,
    CandidateView,
    ChildView,
    FillView,
    OrderDetail,
    OrderPage,
    OrderRoute,
    OrderSummary,
    RouteView,
)
from modules.routing.tables import Fill, Order, RouteAttempt


class OrderViews:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_orders(self, principal: Principal, limit: int, offset: int) -> OrderPage:
        rows: list[dict[str, Any]] = (
            await Order.select()
            .where(Order.user_id == principal.user_id)
            .order_by(Order.created_at, ascending=False)
            .order_by(Order.id, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        return OrderPage(items=[summary(row) for row in rows], limit=limit, offset=offset)

    async def get_order(self, principal: Principal, order_id: uuid.UUID) -> OrderDetail:
        row = await self._own(principal, order_id)
        fills: list[dict[str, Any]] = (
            await Fill.select().where(Fill.order_id == order_id).order_by(Fill.filled_at)
        )
        decisions = await self._decisions(order_id)
        return OrderDetail(
            **msgspec.structs.asdict(summary(row)),
            fills=[fill(f) for f in fills],
            route=route(decisions[-1]) if decisions else None,
            attempts=[attempt(a) for a in await self._attempts(order_id)],
            children=[child(c) for c in await self._children(order_id)],
        )

    async def get_route(self, principal: Principal, order_id: uuid.UUID) -> OrderRoute:
        row = await self._own(principal, order_id)
        decisions = [route(d) for d in await self._decisions(order_id)]
        latest = decisions[-1] if decisions else None
        return OrderRoute(
            order_id=str(order_id),
            kind=row["kind"],
            venue=row["venue"],
            winner=latest.chosen if latest else row["venue"],
            why=latest.why if latest else None,
            decisions=decisions,
            attempts=[attempt(a) for a in await self._attempts(order_id)],
            children=[child(c) for c in await self._children(order_id)],
        )

    async def _own(self, principal: Principal, order_id: uuid.UUID) -> dict[str, Any]:
        row: dict[str, Any] | None = (
            await Order.select()
            .where((Order.id == order_id) & (Order.user_id == principal.user_id))
            .first()
        )
        if row is None:
            # Someone else's order is indistinguishable from a missing one.
            raise Refused(Kind.NOT_FOUND, "order_not_found", "No such order")
        return row

    async def _decisions(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
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

    async def _attempts(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await RouteAttempt.select()
            .where(RouteAttempt.order_id == order_id)
            .order_by(RouteAttempt.attempt)
        )
        return rows

    async def _children(self, order_id: uuid.UUID) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await Order.select()
            .where(Order.parent_order_id == order_id)
            .order_by(Order.created_at)
            .order_by(Order.id)
        )
        return rows


def summary(row: dict[str, Any]) -> OrderSummary:
    parent = row.get("parent_order_id")
    return OrderSummary(
        id=str(row["id"]),
        status=row["status"],
        symbol=row["symbol"],
        side=row["side"],
        type=row["order_type"],
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        venue=row["venue"],
        client_order_id=row["client_order_id"],
        filled_quantity=row["filled_quantity"],
        average_price=row["average_price"],
        fees=row["fees"],
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        signal=row["signal"],
        priority=row["priority"],
        source=row["source"],
        kind=row["kind"],
        parent_order_id=None if parent is None else str(parent),
        attempt=row["attempt"],
    )


def fill(row: dict[str, Any]) -> FillView:
    return FillView(
        id=row["fill_id"],
        price=row["price"],
        quantity=row["quantity"],
        fee=row["fee"],
        fee_currency=row["fee_currency"],
        liquidity=row["liquidity"],
        filled_at=row["filled_at"],
    )


def candidates(stored: str | bytes) -> list[CandidateView]:
    """A decision's candidates as stored (JSONB, read as text)."""
    raw = stored.encode() if isinstance(stored, str) else stored
    return msgspec.json.decode(raw, type=list[CandidateView])


def route(row: dict[str, Any]) -> RouteView:
    return RouteView(
        chosen=row["chosen"],
        decided_at=row["decided_at"],
        candidates=candidates(row["candidates"]),
        attempt=row.get("attempt") or 0,
        why=row.get("why"),
    )


def attempt(row: dict[str, Any]) -> AttemptView:
    return AttemptView(
        attempt=row["attempt"],
        venue=row["venue"],
        client_order_id=row["client_order_id"],
        routed_at=row["routed_at"],
        failed_code=row["failed_code"],
        failed_reason=row["failed_reason"],
    )


def child(row: dict[str, Any]) -> ChildView:
    return ChildView(
        id=str(row["id"]),
        venue=row["venue"],
        quantity=row["quantity"],
        status=row["status"],
        filled_quantity=row["filled_quantity"],
        created_at=row["created_at"],
    )

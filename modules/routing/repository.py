"""Routing's queries.

Writes take the transaction's asyncpg connection (`uow.conn`); reads for the HTTP side use the
Piccolo query builder on the pool. Order updates driven by execution's events are monotonic
(statuses only move forward, cumulative quantities only grow) because events of different
topics may be delivered in any order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.execution.contracts import OrderExpired, OrderFilled, OrderRejected
from modules.routing.adapters.venue_scoring import Candidate, Intent
from modules.routing.tables import Fill, IdempotencyKey, Order, RouteDecision, UserVenue
from modules.vault.contracts import CredentialRevoked, CredentialStored


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    request_hash: str
    status: int | None
    body: bytes | None


class NewOrder(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    client_order_id: str
    intent: Intent
    venue: str
    credential_id: str
    created_at: datetime


_STORE_CREDENTIAL = """
INSERT INTO routing.user_venues AS u (credential_id, user_id, venue, version, stored_at)
VALUES ($1, $2, $3, $4, now())
ON CONFLICT (credential_id) DO UPDATE SET version = EXCLUDED.version, stored_at = now()
 WHERE u.revoked_at IS NULL AND u.version < EXCLUDED.version
"""
# A revocation overtaking its own `CredentialStored` leaves a tombstone the late store respects.
_REVOKE_CREDENTIAL = """
INSERT INTO routing.user_venues AS u (credential_id, user_id, venue, version, stored_at, revoked_at)
VALUES ($1, $2, $3, 0, now(), now())
ON CONFLICT (credential_id) DO UPDATE SET revoked_at = COALESCE(u.revoked_at, now())
"""
_INSERT_ORDER = """
INSERT INTO routing.orders (id, user_id, client_order_id, symbol, side, order_type, quantity,
    limit_price, status, venue, credential_id, filled_quantity, fees, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'routed', $9, $10, 0, 0, $11, $11)
"""
_ACCEPTED = """
UPDATE routing.orders
   SET venue_order_id = $2, updated_at = now(),
       status = CASE WHEN status = 'routed' THEN 'accepted' ELSE status END
 WHERE id = $1
"""
_INSERT_FILL = """
INSERT INTO routing.fills (fill_id, order_id, price, quantity, fee, fee_currency, liquidity,
                           filled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (fill_id) DO NOTHING
"""
# SET expressions see the row as it was, so each CASE compares against the old values.
_FILLED = """
UPDATE routing.orders
   SET filled_quantity = GREATEST(filled_quantity, $2),
       average_price = CASE WHEN $2 >= filled_quantity THEN $3 ELSE average_price END,
       fees = (SELECT COALESCE(sum(fee), 0) FROM routing.fills WHERE order_id = $1),
       status = CASE WHEN status IN ('expired', 'rejected') THEN status
                     WHEN GREATEST(filled_quantity, $2) >= quantity THEN 'filled'
                     ELSE 'partially_filled' END,
       updated_at = now()
 WHERE id = $1
"""
_EXPIRED = """
UPDATE routing.orders
   SET filled_quantity = GREATEST(filled_quantity, $2),
       status = CASE WHEN status IN ('filled', 'rejected') THEN status ELSE 'expired' END,
       updated_at = now()
 WHERE id = $1
"""
_REJECTED = """
UPDATE routing.orders
   SET status = 'rejected', reject_code = $2, reject_reason = $3, updated_at = now()
 WHERE id = $1 AND status NOT IN ('filled', 'expired')
"""


def _order_uuid(order_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(order_id)
    except ValueError:
        return None


class RoutingRepository:
    # -- credentials -------------------------------------------------------------------------
    async def store_credential(self, conn: asyncpg.Connection, event: CredentialStored) -> None:
        await conn.execute(
            _STORE_CREDENTIAL, event.credential_id, event.user_id, event.venue, event.version
        )

    async def revoke_credential(self, conn: asyncpg.Connection, event: CredentialRevoked) -> None:
        await conn.execute(_REVOKE_CREDENTIAL, event.credential_id, event.user_id, event.venue)

    async def active_credentials(self, user_id: str) -> dict[str, str]:
        """venue -> credential id, the newest active credential per venue."""
        rows = (
            await UserVenue.select(UserVenue.venue, UserVenue.credential_id)
            .where((UserVenue.user_id == user_id) & UserVenue.revoked_at.is_null())
            .order_by(UserVenue.stored_at)
        )
        return {row["venue"]: row["credential_id"] for row in rows}

    # -- idempotency -------------------------------------------------------------------------
    async def stored_response(self, user_id: str, key: str) -> StoredResponse | None:
        row = (
            await IdempotencyKey.select(
                IdempotencyKey.request_hash,
                IdempotencyKey.response_status,
                IdempotencyKey.response_body,
            )
            .where((IdempotencyKey.user_id == user_id) & (IdempotencyKey.key == key))
            .first()
        )
        if row is None:
            return None
        return StoredResponse(
            request_hash=row["request_hash"],
            status=row["response_status"],
            body=row["response_body"],
        )

    async def claim_key(
        self, conn: asyncpg.Connection, user_id: str, key: str, request_hash: str
    ) -> bool:
        """Take the key for this request; waits for (then loses to) a concurrent holder."""
        claimed = await conn.fetchval(
            "INSERT INTO routing.idempotency_keys (user_id, key, request_hash, created_at) "
            "VALUES ($1, $2, $3, now()) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            user_id,
            key,
            request_hash,
        )
        return claimed is not None

    async def complete_key(
        self, conn: asyncpg.Connection, user_id: str, key: str, status: int, body: bytes
    ) -> None:
        await conn.execute(
            "UPDATE routing.idempotency_keys SET response_status = $3, response_body = $4 "
            "WHERE user_id = $1 AND key = $2",
            user_id,
            key,
            status,
            body,
        )

    # -- orders ------------------------------------------------------------------------------
    async def insert_order(
        self,
        conn: asyncpg.Connection,
        order: NewOrder,
        candidates: tuple[Candidate, ...],
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
        )
        await conn.execute(
            "INSERT INTO routing.route_decisions (order_id, chosen, candidates, decided_at) "
            "VALUES ($1, $2, $3::jsonb, $4)",
            order.id,
            order.venue,
            msgspec.json.encode(candidates).decode(),
            order.created_at,
        )

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

    async def decision(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await RouteDecision.select().where(RouteDecision.order_id == order_id).first()
        )
        return row

    # -- execution's reports -----------------------------------------------------------------
    async def order_accepted(
        self, conn: asyncpg.Connection, order_id: str, venue_order_id: str
    ) -> None:
        if (oid := _order_uuid(order_id)) is not None:
            await conn.execute(_ACCEPTED, oid, venue_order_id)

    async def order_filled(self, conn: asyncpg.Connection, event: OrderFilled) -> None:
        oid = _order_uuid(event.order_id)
        # Lock the order first: fills of one order may be handled concurrently, and the fee
        # total below must see every fill committed before this one.
        if oid is None or not await conn.fetchval(
            "SELECT 1 FROM routing.orders WHERE id = $1 FOR UPDATE", oid
        ):
            return
        await conn.execute(
            _INSERT_FILL,
            event.fill_id,
            oid,
            event.price,
            event.quantity,
            event.fee,
            event.fee_currency,
            event.liquidity,
            event.occurred_at,
        )
        await conn.execute(_FILLED, oid, event.filled_quantity, event.average_price)

    async def order_expired(self, conn: asyncpg.Connection, event: OrderExpired) -> None:
        if (oid := _order_uuid(event.order_id)) is not None:
            await conn.execute(_EXPIRED, oid, event.filled_quantity)

    async def order_rejected(self, conn: asyncpg.Connection, event: OrderRejected) -> None:
        if (oid := _order_uuid(event.order_id)) is not None:
            await conn.execute(_REJECTED, oid, event.code, event.reason[:500])

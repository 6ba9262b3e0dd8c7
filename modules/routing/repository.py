"""Routing's queries.

Writes take the transaction's asyncpg connection (`uow.conn`); reads for the HTTP side use the
Piccolo query builder on the pool. Order updates driven by execution's events are monotonic
(statuses only move forward, cumulative quantities only grow) because events of different
topics may be delivered in any order.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.execution.contracts import OrderExpired, OrderFilled, OrderRejected
from modules.kernel.db import Database
from modules.routing.adapters.venue_scoring import Candidate, Intent
from modules.routing.tables import (
    Fill,
    IdempotencyKey,
    Order,
    Position,
    RouteAttempt,
    TwapPlan,
    UserVenue,
)
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
    source: str = "trader"
    signal: str = "entry"
    priority: int = 3
    kind: str = "single"
    parent_order_id: uuid.UUID | None = None
    notional: Decimal | None = None
    status: str = "routed"


class AttemptRow(msgspec.Struct, frozen=True, kw_only=True):
    """An execution-side order id resolved to routing's order, locked for update."""

    order_id: uuid.UUID
    attempt: int
    current_attempt: int
    venue: str
    status: str
    user_id: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    parent_order_id: uuid.UUID | None
    signal: str
    priority: int


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
_LOCK_ATTEMPT = """
SELECT o.id AS order_id, a.attempt, o.attempt AS current_attempt, a.venue, o.status, o.user_id,
       o.symbol, o.side, o.order_type, o.quantity, o.limit_price, o.parent_order_id, o.signal,
       o.priority
  FROM routing.route_attempts a JOIN routing.orders o ON o.id = a.order_id
 WHERE a.attempt_id = $1
   FOR UPDATE OF o
"""
# A parent (split or TWAP) mirrors its children: what they filled, and done once none is open
# and (for TWAP) every slice has gone out.
_ROLL_UP_PARENT = """
UPDATE routing.orders p
   SET filled_quantity = s.filled, fees = s.fees, average_price = s.average, updated_at = now(),
       status = CASE
           WHEN s.filled >= p.quantity THEN 'filled'
           WHEN s.open = 0 AND NOT EXISTS (SELECT 1 FROM routing.twap_plans t
                                            WHERE t.parent_order_id = p.id
                                              AND t.status = 'active')
               THEN CASE WHEN s.filled > 0 THEN 'expired' ELSE 'rejected' END
           WHEN s.filled > 0 THEN 'partially_filled'
           ELSE p.status END
  FROM (SELECT COALESCE(sum(filled_quantity), 0) AS filled, COALESCE(sum(fees), 0) AS fees,
               sum(filled_quantity * average_price) / NULLIF(sum(filled_quantity), 0) AS average,
               count(*) FILTER (WHERE status IN ('routed', 'accepted', 'partially_filled'))
                   AS open
          FROM routing.orders WHERE parent_order_id = $1) s
 WHERE p.id = $1
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
_REROUTED = """
UPDATE routing.orders
   SET attempt = $2, venue = $3, client_order_id = $4, credential_id = $5, status = 'routed',
       venue_order_id = NULL, updated_at = now()
 WHERE id = $1
"""


def _order_uuid(order_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(order_id)
    except ValueError:
        return None


class RoutingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

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

    # -- execution's reports -----------------------------------------------------------------
    async def lock_attempt(self, conn: asyncpg.Connection, attempt_id: str) -> AttemptRow | None:
        """Resolve execution's order id to routing's order, locking the order row.

        Siblings of a split or TWAP lock their parent first (the same order everywhere, so no
        deadlock) because the parent's roll-up must see every sibling's committed state.
        """
        aid = _order_uuid(attempt_id)
        if aid is None:
            return None
        parent = await conn.fetchval(
            "SELECT o.parent_order_id FROM routing.route_attempts a "
            "JOIN routing.orders o ON o.id = a.order_id WHERE a.attempt_id = $1",
            aid,
        )
        if parent is not None:
            await conn.execute("SELECT 1 FROM routing.orders WHERE id = $1 FOR UPDATE", parent)
        row = await conn.fetchrow(_LOCK_ATTEMPT, aid)
        return None if row is None else msgspec.convert(dict(row), AttemptRow)

    async def roll_up(self, conn: asyncpg.Connection, row: AttemptRow) -> None:
        if row.parent_order_id is not None:
            await conn.execute(_ROLL_UP_PARENT, row.parent_order_id)

    async def order_accepted(
        self, conn: asyncpg.Connection, row: AttemptRow, venue_order_id: str
    ) -> None:
        if row.attempt == row.current_attempt:
            await conn.execute(_ACCEPTED, row.order_id, venue_order_id)

    async def order_filled(
        self, conn: asyncpg.Connection, row: AttemptRow, event: OrderFilled
    ) -> bool:
        """Record the fill; False if it was already recorded (then nothing else changes)."""
        inserted = await conn.fetchval(
            _INSERT_FILL + " RETURNING 1",
            event.fill_id,
            row.order_id,
            event.price,
            event.quantity,
            event.fee,
            event.fee_currency,
            event.liquidity,
            event.occurred_at,
        )
        if inserted is None:
            return False
        # Cumulative figures are per venue order; only the current attempt can have any.
        await conn.execute(_FILLED, row.order_id, event.filled_quantity, event.average_price)
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

    async def credentials_in(self, conn: asyncpg.Connection, user_id: str) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT venue, credential_id FROM routing.user_venues "
            "WHERE user_id = $1 AND revoked_at IS NULL ORDER BY stored_at",
            user_id,
        )
        return {row["venue"]: row["credential_id"] for row in rows}

    # -- risk gate's view of the user -------------------------------------------------------
    async def risk_inputs(self, user_id: str, symbol: str, day_start: datetime) -> dict[str, Any]:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(_RISK_INPUTS, user_id, symbol, day_start, day_start.date())
        return dict(row)

    async def trading_settings(self, user_id: str) -> dict[str, Any] | None:
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT risk_level, max_position_usd, max_daily_loss_usd, allowed_pairs, "
                "equity_usd FROM routing.trading_settings WHERE user_id = $1",
                user_id,
            )
        return None if row is None else _settings_row(row)

    async def save_trading_settings(self, user_id: str, values: dict[str, Any]) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "INSERT INTO routing.trading_settings (user_id, risk_level, max_position_usd, "
                "max_daily_loss_usd, allowed_pairs, equity_usd, updated_at) "
                "VALUES ($1, $2, $3, $4, $5::jsonb, $6, now()) ON CONFLICT (user_id) DO UPDATE "
                "SET risk_level = $2, max_position_usd = $3, max_daily_loss_usd = $4, "
                "allowed_pairs = $5::jsonb, equity_usd = $6, updated_at = now()",
                user_id,
                values.get("risk_level"),
                values.get("max_position_usd"),
                values.get("max_daily_loss_usd"),
                None
                if values.get("allowed_pairs") is None
                else msgspec.json.encode(values["allowed_pairs"]).decode(),
                values.get("equity_usd"),
            )

    # -- identity's word on users --------------------------------------------------------------
    async def set_suspended(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        suspended: bool,
        reason: str | None,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.user_status AS s (user_id, suspended, suspended_reason, "
            "status_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
            "SET suspended = $2, suspended_reason = $3, status_at = $4 "
            "WHERE s.status_at IS NULL OR s.status_at < $4",
            user_id,
            suspended,
            reason,
            at,
        )

    async def set_tier(
        self, conn: asyncpg.Connection, user_id: str, tier: str, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.user_status AS s (user_id, suspended, tier, tier_at) "
            "VALUES ($1, false, $2, $3) ON CONFLICT (user_id) DO UPDATE SET tier = $2, "
            "tier_at = $3 WHERE s.tier_at IS NULL OR s.tier_at < $3",
            user_id,
            tier,
            at,
        )

    async def status(self, conn: asyncpg.Connection, user_id: str) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            "SELECT suspended, tier, paused, paused_reason FROM routing.user_status "
            "WHERE user_id = $1",
            user_id,
        )
        return None if row is None else dict(row)

    async def is_suspended(self, conn: asyncpg.Connection, user_id: str) -> bool:
        return bool(
            await conn.fetchval(
                "SELECT suspended FROM routing.user_status WHERE user_id = $1", user_id
            )
        )

    async def set_paused(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        paused: bool,
        reason: str | None,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.user_status AS s (user_id, suspended, paused, paused_reason, "
            "paused_at) VALUES ($1, false, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
            "SET paused = $2, paused_reason = $3, paused_at = $4 "
            "WHERE s.paused_at IS NULL OR s.paused_at < $4",
            user_id,
            paused,
            reason,
            at,
        )

    # -- kill switches ---------------------------------------------------------------------------
    async def kill_switch(self, conn: asyncpg.Connection, scope: str) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            "SELECT active, set_by, reason, changed_at FROM routing.kill_switches "
            "WHERE scope = $1 FOR UPDATE",
            scope,
        )
        return None if row is None else dict(row)

    async def active_kill_switch(self, conn: asyncpg.Connection, user_id: str) -> str | None:
        """ "global" or "user" if a kill switch halts this user, else None."""
        scopes = {
            row["scope"]
            for row in await conn.fetch(
                "SELECT scope FROM routing.kill_switches WHERE active AND scope IN ('global', $1)",
                user_id,
            )
        }
        if "global" in scopes:
            return "global"
        return "user" if scopes else None

    async def set_kill_switch(
        self,
        conn: asyncpg.Connection,
        scope: str,
        active: bool,
        set_by: str,
        reason: str | None,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.kill_switches (scope, active, set_by, reason, changed_at) "
            "VALUES ($1, $2, $3, $4, now()) ON CONFLICT (scope) DO UPDATE SET active = $2, "
            "set_by = $3, reason = $4, changed_at = now()",
            scope,
            active,
            set_by,
            reason,
        )

    # -- positions -------------------------------------------------------------------------------
    async def lock_position(
        self, conn: asyncpg.Connection, user_id: str, venue: str, symbol: str, at: datetime
    ) -> dict[str, Any]:
        await conn.execute(
            "INSERT INTO routing.positions (id, user_id, venue, symbol, quantity, average_price, "
            "realized_pnl, fees, opened_at, updated_at) "
            "VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $5) "
            "ON CONFLICT (user_id, venue, symbol) DO NOTHING",
            uuid.uuid4(),
            user_id,
            venue,
            symbol,
            at,
        )
        row = await conn.fetchrow(
            "SELECT id, quantity, average_price, realized_pnl, fees FROM routing.positions "
            "WHERE user_id = $1 AND venue = $2 AND symbol = $3 FOR UPDATE",
            user_id,
            venue,
            symbol,
        )
        return dict(row)

    async def save_position(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        state: Any,
        opened: bool,
        at: datetime,
    ) -> None:
        await conn.execute(
            "UPDATE routing.positions SET quantity = $2, average_price = $3, realized_pnl = $4, "
            "fees = $5, updated_at = $6, opened_at = CASE WHEN $7 THEN $6 ELSE opened_at END "
            "WHERE id = $1",
            position_id,
            state.quantity,
            state.average_price,
            state.realized_pnl,
            state.fees,
            at,
            opened,
        )

    async def add_daily_pnl(
        self, conn: asyncpg.Connection, user_id: str, day: date, amount: Decimal
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.daily_pnl AS d (user_id, day, realized) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id, day) DO UPDATE SET realized = d.realized + EXCLUDED.realized",
            user_id,
            day,
            amount,
        )

    async def positions(self, user_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await Position.select()
            .where((Position.user_id == user_id) & (Position.quantity != 0))
            .order_by(Position.symbol)
            .order_by(Position.venue)
        )
        return rows

    async def position(self, user_id: str, position_id: uuid.UUID) -> dict[str, Any] | None:
        """The user's position by routing's id or by execution's id for it."""
        row: dict[str, Any] | None = (
            await Position.select()
            .where(
                (Position.user_id == user_id)
                & (
                    (Position.id == position_id)
                    | (Position.execution_position_id == str(position_id))
                )
            )
            .first()
        )
        return row

    async def link_position(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        venue: str,
        symbol: str,
        external: str,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.positions (id, user_id, venue, symbol, quantity, average_price, "
            "realized_pnl, fees, opened_at, updated_at, execution_position_id) "
            "VALUES ($1, $2, $3, $4, 0, 0, 0, 0, $5, $5, $6) "
            "ON CONFLICT (user_id, venue, symbol) DO UPDATE "
            "SET execution_position_id = EXCLUDED.execution_position_id",
            uuid.uuid4(),
            user_id,
            venue,
            symbol,
            at,
            external,
        )

    # -- venue outcomes ------------------------------------------------------------------------
    async def record_outcome(
        self, conn: asyncpg.Connection, venue: str, symbol: str, ok: bool, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.venue_outcomes (venue, symbol, ok, at) VALUES ($1, $2, $3, $4)",
            venue,
            symbol,
            ok,
            at,
        )

    async def recent_outcomes(self, window: int) -> list[tuple[str, str, bool]]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT venue, symbol, ok FROM (SELECT venue, symbol, ok, id, row_number() "
                "OVER (PARTITION BY venue, symbol ORDER BY id DESC) AS n "
                "FROM routing.venue_outcomes) r WHERE n <= $1 ORDER BY id",
                window,
            )
        return [(row["venue"], row["symbol"], row["ok"]) for row in rows]

    # -- TWAP ----------------------------------------------------------------------------------
    async def insert_twap(
        self,
        conn: asyncpg.Connection,
        parent_id: uuid.UUID,
        user_id: str,
        slices: int,
        slice_quantity: Decimal,
        total: Decimal,
        interval: float,
        start: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.twap_plans (parent_order_id, user_id, slices_total, "
            "slices_sent, slice_quantity, quantity_total, interval_seconds, next_at, status) "
            "VALUES ($1, $2, $3, 0, $4, $5, $6, $7, 'active')",
            parent_id,
            user_id,
            slices,
            slice_quantity,
            total,
            interval,
            start,
        )

    async def due_twap(self, conn: asyncpg.Connection, now: datetime) -> list[dict[str, Any]]:
        """Due plans, locked; another replica skips them rather than sending a slice twice."""
        rows = await conn.fetch(
            "SELECT t.*, o.symbol, o.side, o.order_type, o.limit_price, o.signal, o.priority, "
            "o.source FROM routing.twap_plans t JOIN routing.orders o ON o.id = t.parent_order_id "
            "WHERE t.status = 'active' AND t.next_at <= $1 ORDER BY t.next_at LIMIT 20 "
            "FOR UPDATE OF t SKIP LOCKED",
            now,
        )
        return [dict(row) for row in rows]

    async def advance_twap(
        self,
        conn: asyncpg.Connection,
        parent_id: uuid.UUID,
        sent: int,
        status: str,
        next_at: datetime,
        error: str | None,
    ) -> None:
        await conn.execute(
            "UPDATE routing.twap_plans SET slices_sent = $2, status = $3, next_at = $4, "
            "last_error = $5 WHERE parent_order_id = $1",
            parent_id,
            sent,
            status,
            next_at,
            error,
        )
        await conn.execute(_ROLL_UP_PARENT, parent_id)

    async def twap_plan(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await TwapPlan.select().where(TwapPlan.parent_order_id == order_id).first()
        )
        return row

    # -- admin -------------------------------------------------------------------------------------
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


_RISK_INPUTS = """
SELECT (SELECT sum(quantity) FROM routing.positions WHERE user_id = $1 AND symbol = $2)
           AS position_quantity,
       (SELECT count(*) FROM routing.positions WHERE user_id = $1 AND quantity <> 0)
           AS open_positions,
       (SELECT count(*) FROM routing.orders
         WHERE user_id = $1 AND parent_order_id IS NULL AND created_at >= $3) AS trades_today,
       (SELECT realized FROM routing.daily_pnl WHERE user_id = $1 AND day = $4)
           AS realized_today,
       (SELECT row_to_json(s) FROM (SELECT suspended, tier, paused, paused_reason
                                      FROM routing.user_status
         WHERE user_id = $1) s)::text AS status,
       (SELECT string_agg(scope, ',') FROM routing.kill_switches
         WHERE active AND scope IN ('global', $1)) AS kill_switches
"""


def _settings_row(row: Any) -> dict[str, Any]:
    values = dict(row)
    pairs = values.get("allowed_pairs")
    values["allowed_pairs"] = None if pairs is None else msgspec.json.decode(pairs)
    return values

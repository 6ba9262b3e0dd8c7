"""Execution's queries.

Everything runs on the handler's transaction connection (`uow.conn`), so it commits or rolls back
with the inbox row and the outbox events. Credential writes are order-insensitive: a store and a
revocation travel on different topics and may arrive in either order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import asyncpg
import msgspec

from modules.execution.adapters.positions import PositionState
from modules.execution.adapters.venue import VenueFill
from modules.kernel.sealing import SealedSecret
from modules.routing.contracts import OrderRouted
from modules.vault.contracts import CredentialRevoked, CredentialStored, UserDataKeyRewrapped


class StoredCredential(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: str
    user_id: str
    venue: str
    version: int
    sealed: SealedSecret | None
    revoked: bool
    environment: str = "simulated"


class QueuedOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An order row as a worker needs it."""

    order_id: str
    user_id: str
    client_order_id: str
    venue: str
    credential_id: str
    symbol: str
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit"]
    quantity: Decimal
    limit_price: Decimal | None
    status: str
    priority: int


class PositionRow(msgspec.Struct, frozen=True, kw_only=True):
    position_id: str
    user_id: str
    venue: str
    symbol: str
    state: PositionState


_STORE_CREDENTIAL = """
INSERT INTO execution.credentials AS c
       (credential_id, user_id, venue, version, key_hint, ciphertext, wrapped_data_key, stored_at,
        environment)
VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
ON CONFLICT (credential_id) DO UPDATE
   SET version = EXCLUDED.version, key_hint = EXCLUDED.key_hint,
       environment = EXCLUDED.environment,
       ciphertext = EXCLUDED.ciphertext, wrapped_data_key = EXCLUDED.wrapped_data_key,
       stored_at = now()
 WHERE c.revoked_at IS NULL AND c.version < EXCLUDED.version
"""
# A revocation that overtakes its own `CredentialStored` leaves a tombstone, so the late
# store cannot bring the credential back.
_REVOKE_CREDENTIAL = """
INSERT INTO execution.credentials AS c
       (credential_id, user_id, venue, version, stored_at, revoked_at)
VALUES ($1, $2, $3, 0, now(), now())
ON CONFLICT (credential_id) DO UPDATE
   SET ciphertext = NULL, wrapped_data_key = NULL, revoked_at = COALESCE(c.revoked_at, now())
"""
# Only copies still wrapped under the previous wrapping change: a copy stored later already
# carries the new one, and replaying the event changes nothing.
_REWRAP_CREDENTIALS = """
UPDATE execution.credentials SET wrapped_data_key = $3
 WHERE user_id = $1 AND wrapped_data_key = $2
"""
_ENQUEUE = """
INSERT INTO execution.orders
       (order_id, user_id, client_order_id, venue, credential_id, symbol, side, order_type,
        quantity, limit_price, status, filled_quantity, fees, created_at, updated_at,
        priority, signal, queued_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, now(), now(), $12, $13,
        clock_timestamp())
ON CONFLICT DO NOTHING
RETURNING order_id
"""
_INSERT_FILL = """
INSERT INTO execution.fills
       (fill_id, order_id, venue, price, quantity, fee, fee_currency, liquidity, filled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (fill_id) DO NOTHING
RETURNING fill_id
"""
# Each user's next order (highest priority, then oldest); then, across users, highest priority
# first and within it the least recently served user (never served: first). One order per user
# per claim keeps it an equal-share round robin however many orders a claim takes, so a
# flooding user still overtakes another user's order by at most one. Choosing, marking them
# dispatched and taking the users' turns is one statement: a venue's claims are serialised, so
# their round trips cap how many orders a second the venue can be served.
# No row lock in `next` (not allowed beside DISTINCT): the UPDATE re-checks `status = 'queued'`
# on the row it locks, so two replicas choosing the same order cannot both claim it.
_CLAIM_NEXT = """
WITH candidates AS (
    SELECT DISTINCT ON (o.user_id)
           o.order_id, o.priority, o.queued_at, t.served_at AS previous_turn
      FROM execution.orders o
      LEFT JOIN execution.queue_turns t ON t.turn_id = o.venue || ':' || o.user_id
     WHERE o.venue = $1 AND o.status = 'queued' AND NOT (o.credential_id = ANY($2::text[]))
     ORDER BY o.user_id, o.priority, o.queued_at, o.order_id
), next AS (
    SELECT * FROM candidates
     ORDER BY priority, previous_turn NULLS FIRST, queued_at, order_id
     LIMIT $4
), claimed AS (
    UPDATE execution.orders o
       SET status = 'placing', dispatched_at = clock_timestamp(), claimed_by = $3,
           updated_at = now()
      FROM next WHERE o.order_id = next.order_id AND o.status = 'queued'
    RETURNING o.*, next.previous_turn
), turn AS (
    INSERT INTO execution.queue_turns (turn_id, venue, user_id, served_at)
    SELECT venue || ':' || user_id, venue, user_id, clock_timestamp() FROM claimed
    ON CONFLICT (turn_id) DO UPDATE SET served_at = EXCLUDED.served_at
)
SELECT * FROM claimed ORDER BY priority, previous_turn NULLS FIRST, queued_at, order_id
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
_COUNT_ERROR = """
INSERT INTO execution.user_controls AS u (user_id, paused, reason, consecutive_errors, updated_at)
VALUES ($1, false, '', 1, now())
ON CONFLICT (user_id) DO UPDATE
   SET consecutive_errors = u.consecutive_errors + 1, updated_at = now()
RETURNING consecutive_errors, paused
"""
_PAUSE = """
INSERT INTO execution.user_controls AS u (user_id, paused, reason, consecutive_errors, updated_at)
VALUES ($1, true, $2, 0, now())
ON CONFLICT (user_id) DO UPDATE SET paused = true, reason = $2, updated_at = now()
 WHERE NOT u.paused
RETURNING user_id
"""
_RESUME = """
UPDATE execution.user_controls SET paused = false, reason = '', consecutive_errors = 0,
       updated_at = now()
 WHERE user_id = $1 AND paused
RETURNING user_id
"""
_SAVE_POSITION = """
INSERT INTO execution.positions AS p
       (position_id, user_id, venue, symbol, quantity, average_entry, realised_pnl, fees,
        updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
ON CONFLICT (position_id) DO UPDATE
   SET user_id = EXCLUDED.user_id, venue = EXCLUDED.venue, symbol = EXCLUDED.symbol,
       quantity = EXCLUDED.quantity, average_entry = EXCLUDED.average_entry,
       realised_pnl = EXCLUDED.realised_pnl, fees = EXCLUDED.fees, updated_at = now()
"""


class ExecutionRepository:
    async def rewrap_credentials(
        self, conn: asyncpg.Connection, event: UserDataKeyRewrapped
    ) -> None:
        await conn.execute(
            _REWRAP_CREDENTIALS,
            event.user_id,
            event.previous_wrapped_data_key,
            event.wrapped_data_key,
        )

    async def store_credential(self, conn: asyncpg.Connection, event: CredentialStored) -> None:
        await conn.execute(
            _STORE_CREDENTIAL,
            event.credential_id,
            event.user_id,
            event.venue,
            event.version,
            event.key_hint[-4:],
            event.sealed.ciphertext,
            event.sealed.wrapped_data_key,
            event.environment,
        )

    async def revoke_credential(self, conn: asyncpg.Connection, event: CredentialRevoked) -> None:
        await conn.execute(_REVOKE_CREDENTIAL, event.credential_id, event.user_id, event.venue)

    async def credential(
        self, conn: asyncpg.Connection, credential_id: str
    ) -> StoredCredential | None:
        row = await conn.fetchrow(
            "SELECT * FROM execution.credentials WHERE credential_id = $1", credential_id
        )
        return None if row is None else _credential(row)

    async def enqueue(
        self, conn: asyncpg.Connection, event: OrderRouted, status: str = "queued"
    ) -> bool:
        """Record the order; False if this order (or its client order id) is already known."""
        claimed = await conn.fetchval(
            _ENQUEUE,
            event.order_id,
            event.user_id,
            event.client_order_id,
            event.venue,
            event.credential_id,
            event.symbol,
            event.side,
            event.order_type,
            event.quantity,
            event.limit_price,
            status,
            min(max(event.priority, 1), 4),
            event.signal,
        )
        return claimed is not None

    async def lock_queued(self, conn: asyncpg.Connection, user_id: str | None) -> list[QueuedOrder]:
        """Orders still waiting in the queue (one user's, or everyone's), locked for a change.

        SKIP LOCKED leaves alone an order a worker is claiming right now: it is already on
        its way to the venue, where a halt can no longer stop it.
        """
        rows = await conn.fetch(
            "SELECT * FROM execution.orders WHERE status = 'queued' "
            "AND ($1::text IS NULL OR user_id = $1) FOR UPDATE SKIP LOCKED",
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
    ) -> list[tuple[QueuedOrder, datetime | None]]:
        """Claim up to `limit` orders (one per user) on `venue`, each with its user's last turn."""
        rows = await conn.fetch(_CLAIM_NEXT, venue, skip_credentials, replica, limit)
        return [(_queued(row), row["previous_turn"]) for row in rows]

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

    async def live_credentials(self, conn: asyncpg.Connection) -> list[StoredCredential]:
        rows = await conn.fetch(
            "SELECT c.* FROM execution.credentials c "
            "LEFT JOIN execution.user_controls u ON u.user_id = c.user_id "
            "WHERE c.revoked_at IS NULL AND c.ciphertext IS NOT NULL "
            "AND NOT coalesce(u.paused, false)"
        )
        return [_credential(r) for r in rows]

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

    # -- user controls ---------------------------------------------------------------------
    async def paused(self, conn: asyncpg.Connection, user_id: str) -> bool:
        return bool(
            await conn.fetchval(
                "SELECT paused FROM execution.user_controls WHERE user_id = $1", user_id
            )
        )

    async def count_error(self, conn: asyncpg.Connection, user_id: str) -> int:
        row = await conn.fetchrow(_COUNT_ERROR, user_id)
        return int(row["consecutive_errors"])

    async def clear_errors(self, conn: asyncpg.Connection, user_id: str) -> None:
        await conn.execute(
            "UPDATE execution.user_controls SET consecutive_errors = 0, updated_at = now() "
            "WHERE user_id = $1 AND consecutive_errors <> 0",
            user_id,
        )

    async def pause(self, conn: asyncpg.Connection, user_id: str, reason: str) -> bool:
        """True if this call paused the user (False: already paused)."""
        return await conn.fetchval(_PAUSE, user_id, reason) is not None

    async def resume(self, conn: asyncpg.Connection, user_id: str) -> bool:
        return await conn.fetchval(_RESUME, user_id) is not None

    # -- positions -------------------------------------------------------------------------
    async def lock_position(self, conn: asyncpg.Connection, position_id: str) -> PositionState:
        # Serialises concurrent fills into one position (the insert makes the row lockable).
        await conn.execute(
            "INSERT INTO execution.positions (position_id, user_id, venue, symbol, quantity, "
            "average_entry, realised_pnl, fees, updated_at) "
            "VALUES ($1, '', '', '', 0, 0, 0, 0, now()) ON CONFLICT DO NOTHING",
            position_id,
        )
        row = await conn.fetchrow(
            "SELECT * FROM execution.positions WHERE position_id = $1 FOR UPDATE", position_id
        )
        return PositionState(
            quantity=row["quantity"],
            average_entry=row["average_entry"],
            realised_pnl=row["realised_pnl"],
            fees=row["fees"],
        )

    async def save_position(self, conn: asyncpg.Connection, position: PositionRow) -> None:
        state = position.state
        await conn.execute(
            _SAVE_POSITION,
            position.position_id,
            position.user_id,
            position.venue,
            position.symbol,
            state.quantity,
            state.average_entry,
            state.realised_pnl,
            state.fees,
        )

    async def positions(self, conn: asyncpg.Connection, user_id: str) -> list[PositionRow]:
        rows = await conn.fetch(
            "SELECT * FROM execution.positions WHERE user_id = $1 ORDER BY venue, symbol",
            user_id,
        )
        return [
            PositionRow(
                position_id=r["position_id"],
                user_id=r["user_id"],
                venue=r["venue"],
                symbol=r["symbol"],
                state=PositionState(
                    quantity=r["quantity"],
                    average_entry=r["average_entry"],
                    realised_pnl=r["realised_pnl"],
                    fees=r["fees"],
                ),
            )
            for r in rows
        ]

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
        venue: str,
        venue_order_id: str,
        status: str,
        fills: Sequence[VenueFill],
        average_price: Decimal | None,
    ) -> set[str]:
        """Returns the fill ids recorded by this call (the others were recorded before)."""
        new: set[str] = set()
        for f in fills:
            inserted = await conn.fetchval(
                _INSERT_FILL,
                f.trade_id,
                order_id,
                venue,
                f.price,
                f.quantity,
                f.fee,
                f.fee_currency,
                f.liquidity,
                f.at,
            )
            if inserted is not None:
                new.add(inserted)
        await conn.execute(
            "UPDATE execution.orders SET status = $2, venue_order_id = $3, filled_quantity = $4, "
            "average_price = $5, fees = $6, updated_at = now() WHERE order_id = $1",
            order_id,
            status,
            venue_order_id,
            sum((f.quantity for f in fills), Decimal(0)),
            average_price,
            sum((f.fee for f in fills), Decimal(0)),
        )
        return new


def _credential(row: Any) -> StoredCredential:
    sealed = None
    if row["ciphertext"] is not None and row["wrapped_data_key"] is not None:
        sealed = SealedSecret(
            ciphertext=row["ciphertext"], wrapped_data_key=row["wrapped_data_key"]
        )
    return StoredCredential(
        credential_id=row["credential_id"],
        user_id=row["user_id"],
        venue=row["venue"],
        version=row["version"],
        sealed=sealed,
        revoked=row["revoked_at"] is not None,
        environment=row["environment"],
    )


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
    )

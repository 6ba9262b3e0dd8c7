"""Routing's queries: the one entry point the rest of the module uses.

Writes take the transaction's asyncpg connection (`uow.conn`); reads for the HTTP side use the
Piccolo query builder on the pool. Order updates driven by execution's events are monotonic
(statuses only move forward, cumulative quantities only grow) because events of different
topics may be delivered in any order.

This file holds the queries on users' venue credentials and on venue outcomes. The rest are
grouped by concern in adapters/ and reached through `RoutingRepository`: `orders` (orders, route
attempts and decisions), `reports` (execution's reports folded onto orders), `positions`
(positions and daily P&L), `twap` (TWAP plans), `idempotency` (idempotency keys) and `risk`
(what the risk gate reads: trading settings, users' standing, kill switches). The row types are
re-exported from here, where the rest of the module imports them.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from modules.kernel.db import Database
from modules.routing.adapters.idempotency_queries import IdempotencyQueries, StoredResponse
from modules.routing.adapters.order_queries import NewOrder, OrderQueries
from modules.routing.adapters.position_queries import PositionQueries
from modules.routing.adapters.report_queries import AttemptRow, ReportQueries
from modules.routing.adapters.risk_queries import RiskQueries
from modules.routing.adapters.twap_queries import TwapQueries
from modules.routing.tables import UserVenue
from modules.vault.contracts import CredentialRevoked, CredentialStored

__all__ = ["AttemptRow", "NewOrder", "RoutingRepository", "StoredResponse"]

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


class RoutingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.orders = OrderQueries(db)
        self.reports = ReportQueries()
        self.positions = PositionQueries()
        self.twap = TwapQueries()
        self.idempotency = IdempotencyQueries()
        self.risk = RiskQueries(db)

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

    async def credentials_in(self, conn: asyncpg.Connection, user_id: str) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT venue, credential_id FROM routing.user_venues "
            "WHERE user_id = $1 AND revoked_at IS NULL ORDER BY stored_at",
            user_id,
        )
        return {row["venue"]: row["credential_id"] for row in rows}

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

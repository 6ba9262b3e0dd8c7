"""Routing's read copy of each venue account's equity, from execution's `BalanceChanged`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg

from modules.routing.repository.user_views import with_bump

# The copy only moves to a newer snapshot: a late, older event must not undo a newer one.
_APPLY_COPY = """
INSERT INTO routing.venue_equity AS e (credential_id, user_id, venue, equity_usd, as_of)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (credential_id) DO UPDATE
   SET equity_usd = EXCLUDED.equity_usd, as_of = EXCLUDED.as_of
 WHERE e.as_of < EXCLUDED.as_of
"""
_APPLY = with_bump(_APPLY_COPY, "$2")


class EquityRepository:
    async def apply(
        self,
        conn: asyncpg.Connection,
        *,
        credential_id: str,
        user_id: str,
        venue: str,
        equity_usd: Decimal,
        as_of: datetime,
    ) -> int:
        """Fold the snapshot; the user's view version it committed at."""
        version: int = await conn.fetchval(_APPLY, credential_id, user_id, venue, equity_usd, as_of)
        return version

"""Routing's read copy of each venue account's equity, from execution's `BalanceChanged`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg
import msgspec

# A batch's snapshots in one statement: each account's copy moves only to the newest snapshot
# the batch brings, and only if newer than the one held (a late, older event must not undo a
# newer one); each user's view version moves on once, returned.
_APPLY = """
WITH snapshot AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[])
           AS s(credential_id, user_id, venue, equity_usd, as_of)
), copy AS (
    INSERT INTO routing.venue_equity AS e (credential_id, user_id, venue, equity_usd, as_of)
    SELECT DISTINCT ON (credential_id) credential_id, user_id, venue, equity_usd, as_of
      FROM snapshot ORDER BY credential_id, as_of DESC
    ON CONFLICT (credential_id) DO UPDATE
       SET equity_usd = EXCLUDED.equity_usd, as_of = EXCLUDED.as_of
     WHERE e.as_of < EXCLUDED.as_of
)
INSERT INTO routing.view_versions AS v (user_id, version)
SELECT DISTINCT user_id, 1 FROM snapshot ORDER BY user_id
ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1
RETURNING user_id, version
"""


class EquitySnapshot(msgspec.Struct, frozen=True, kw_only=True):
    credential_id: str
    user_id: str
    venue: str
    equity_usd: Decimal
    as_of: datetime


class EquityRepository:
    async def apply(
        self, conn: asyncpg.Connection, snapshots: list[EquitySnapshot]
    ) -> dict[str, int]:
        """Fold the snapshots; each user's view version they committed at."""
        columns = ("credential_id", "user_id", "venue", "equity_usd", "as_of")
        rows = await conn.fetch(
            _APPLY, *([getattr(s, name) for s in snapshots] for name in columns)
        )
        return {row["user_id"]: row["version"] for row in rows}

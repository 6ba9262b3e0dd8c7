"""Each venue account's equity as execution's balances last valued it (`BalanceChanged`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg
import msgspec

# The copy only moves to a newer snapshot: a late, older event must not undo a newer one.
_APPLY = """
INSERT INTO strategy.venue_balances AS b (user_id, venue, credential_id, equity_usd, as_of)
SELECT DISTINCT ON (u.user_id, u.venue) u.user_id, u.venue, u.credential_id, u.equity, u.as_of
  FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[])
       AS u(user_id, venue, credential_id, equity, as_of)
 ORDER BY u.user_id, u.venue, u.as_of DESC
ON CONFLICT (user_id, venue) DO UPDATE
   SET credential_id = EXCLUDED.credential_id, equity_usd = EXCLUDED.equity_usd,
       as_of = EXCLUDED.as_of
 WHERE b.as_of < EXCLUDED.as_of
"""


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    venue: str
    credential_id: str
    equity_usd: Decimal
    as_of: datetime


class BalanceRepository:
    async def apply(self, conn: asyncpg.Connection, balances: Sequence[Balance]) -> None:
        """Keep the newest of these snapshots per account, in one statement for the batch."""
        await conn.execute(
            _APPLY,
            [b.user_id for b in balances],
            [b.venue for b in balances],
            [b.credential_id for b in balances],
            [b.equity_usd for b in balances],
            [b.as_of for b in balances],
        )

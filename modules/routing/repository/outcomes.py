"""Venue outcomes: each execution's success or failure per (venue, pair), for the monitor.

The monitor keeps the recent ones in memory; they are stored so a restart does not forget a
failing venue.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from modules.kernel.db import Database


class OutcomeRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        """The last `window` outcomes of every (venue, pair), oldest first."""
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT venue, symbol, ok FROM (SELECT venue, symbol, ok, id, row_number() "
                "OVER (PARTITION BY venue, symbol ORDER BY id DESC) AS n "
                "FROM routing.venue_outcomes) r WHERE n <= $1 ORDER BY id",
                window,
            )
        return [(row["venue"], row["symbol"], row["ok"]) for row in rows]

"""Prices and venues as the strategy knows them from execution's closed bars."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from modules.strategy.domain.bars import TIMEFRAMES


class PriceRepository:
    async def latest_close(
        self, conn: asyncpg.Connection, venue: str, symbol: str
    ) -> Decimal | None:
        """The close of the bar that ended last, whatever its timeframe (an hour bar that just
        closed is newer than the minute bar before it)."""
        rows = await conn.fetch(
            "SELECT DISTINCT ON (timeframe) timeframe, start, close FROM strategy.bars "
            "WHERE venue = $1 AND symbol = $2 ORDER BY timeframe, start DESC",
            venue,
            symbol,
        )
        ended = [(r["start"] + TIMEFRAMES[r["timeframe"]], r["close"]) for r in rows]
        return max(ended)[1] if ended else None

    async def venue_known(self, conn: asyncpg.Connection, user_id: str, venue: str) -> bool:
        """A venue execution publishes market data for, or one where the user holds a position."""
        found = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM strategy.bars WHERE venue = $1) "
            "OR EXISTS (SELECT 1 FROM strategy.venue_positions WHERE user_id = $2 AND venue = $1)",
            venue,
            user_id,
        )
        return bool(found)

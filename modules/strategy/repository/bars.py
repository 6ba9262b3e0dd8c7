"""Closed bars per venue, symbol and timeframe: the last few hundred, to hydrate the windows."""

from __future__ import annotations

import asyncpg

from modules.strategy.domain.bars import TIMEFRAMES, Bar, BarKey


class BarRepository:
    async def insert(self, conn: asyncpg.Connection, key: BarKey, bar: Bar, keep: int) -> None:
        """Store `bar` (a corrected bar replaces the first) and forget bars older than `keep`
        periods before it."""
        await conn.execute(
            "INSERT INTO strategy.bars (venue, symbol, timeframe, start, open, high, low, close, "
            "volume) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (venue, symbol, timeframe, start) DO UPDATE SET open = $5, high = $6, "
            "low = $7, close = $8, volume = $9",
            key.venue,
            key.symbol,
            key.timeframe,
            bar.start,
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
        )
        await conn.execute(
            "DELETE FROM strategy.bars WHERE venue = $1 AND symbol = $2 AND timeframe = $3 "
            "AND start < $4",
            key.venue,
            key.symbol,
            key.timeframe,
            bar.start - TIMEFRAMES[key.timeframe] * keep,
        )

    async def latest(self, conn: asyncpg.Connection, key: BarKey, count: int) -> list[Bar]:
        rows = await conn.fetch(
            "SELECT start, open, high, low, close, volume FROM strategy.bars "
            "WHERE venue = $1 AND symbol = $2 AND timeframe = $3 ORDER BY start DESC LIMIT $4",
            key.venue,
            key.symbol,
            key.timeframe,
            count,
        )
        return [Bar(**dict(r)) for r in reversed(rows)]

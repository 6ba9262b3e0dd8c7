"""Execution's positions as the bot last heard of them: only the version, to drop stale news."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
import msgspec


class Held(msgspec.Struct, frozen=True, kw_only=True):
    """What execution said a user holds at a venue, at a version of its position."""

    user_id: str
    venue: str
    symbol: str
    version: int
    quantity: Decimal


class VenuePositionRepository:
    async def newer(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        venue: str,
        symbol: str,
        version: int,
        quantity: Decimal,
    ) -> bool:
        """Record this version if it is the newest seen; whether it was."""
        row = await conn.fetchval(
            "INSERT INTO strategy.venue_positions AS v (user_id, venue, symbol, version, "
            "quantity) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, venue, symbol) "
            "DO UPDATE SET version = $4, quantity = $5 WHERE v.version < $4 RETURNING 1",
            user_id,
            venue,
            symbol,
            version,
            quantity,
        )
        return row is not None

    async def record_newest(self, conn: asyncpg.Connection, seen: list[Held]) -> None:
        """Record, per user, venue and symbol, the newest of `seen` if newer than the one held:
        one statement, rows taken in key order."""
        await conn.execute(
            "INSERT INTO strategy.venue_positions AS v (user_id, venue, symbol, version, quantity) "
            "SELECT DISTINCT ON (u, ve, s) u, ve, s, n, q FROM unnest($1::text[], $2::text[], "
            "$3::text[], $4::int[], $5::numeric[]) AS h(u, ve, s, n, q) "
            "ORDER BY u, ve, s, n DESC "
            "ON CONFLICT (user_id, venue, symbol) DO UPDATE "
            "SET version = EXCLUDED.version, quantity = EXCLUDED.quantity "
            "WHERE v.version < EXCLUDED.version",
            [h.user_id for h in seen],
            [h.venue for h in seen],
            [h.symbol for h in seen],
            [h.version for h in seen],
            [h.quantity for h in seen],
        )

    async def quantity(
        self, conn: asyncpg.Connection, user_id: str, venue: str, symbol: str
    ) -> Decimal | None:
        """What the user holds there, as execution last said (None: never heard of it)."""
        held = await conn.fetchval(
            "SELECT quantity FROM strategy.venue_positions "
            "WHERE user_id = $1 AND venue = $2 AND symbol = $3",
            user_id,
            venue,
            symbol,
        )
        return None if held is None else Decimal(held)

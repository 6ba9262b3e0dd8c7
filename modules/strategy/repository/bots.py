"""Bots: each user's one bot, its settings and standing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.strategy.domain.bot import Settings

_COLUMNS = (
    "user_id, status, paused_reason, mode, strategy, pairs, venue, timeframe, risk_level, "
    "max_position_usd, equity_usd, rejections"
)


def _row(record: Any) -> dict[str, Any] | None:
    if record is None:
        return None
    row = dict(record)
    row["pairs"] = msgspec.json.decode(row["pairs"])
    return row


class BotRepository:
    async def bot(
        self, conn: asyncpg.Connection, user_id: str, *, lock: bool = False
    ) -> dict[str, Any] | None:
        sql = f"SELECT {_COLUMNS} FROM strategy.bots WHERE user_id = $1"  # noqa: S608
        return _row(await conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), user_id))

    async def save_settings(
        self, conn: asyncpg.Connection, user_id: str, settings: Settings, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO strategy.bots (user_id, status, mode, strategy, pairs, venue, timeframe, "
            "risk_level, max_position_usd, equity_usd, updated_at) "
            "VALUES ($1, 'off', $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10) "
            "ON CONFLICT (user_id) DO UPDATE SET mode = $2, strategy = $3, pairs = $4::jsonb, "
            "venue = $5, timeframe = $6, risk_level = $7, max_position_usd = $8, "
            "equity_usd = $9, updated_at = $10",
            user_id,
            settings.mode,
            settings.strategy,
            msgspec.json.encode(settings.pairs).decode(),
            settings.venue,
            settings.timeframe,
            settings.risk_level,
            settings.max_position_usd,
            settings.equity_usd,
            at,
        )

    async def set_status(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        status: str,
        reason: str | None,
        at: datetime,
    ) -> None:
        # Starting clears the count of venue rejections that may have paused the bot.
        await conn.execute(
            "UPDATE strategy.bots SET status = $2::varchar, paused_reason = $3, updated_at = $4, "
            "rejections = CASE WHEN $2::varchar = 'running' THEN 0 ELSE rejections END "
            "WHERE user_id = $1",
            user_id,
            status,
            reason,
            at,
        )

    async def pause_running(
        self, conn: asyncpg.Connection, user_id: str | None, reason: str, at: datetime
    ) -> list[str]:
        """Pause the running bot of `user_id`, or every running bot (None); their user ids."""
        rows = await conn.fetch(
            "UPDATE strategy.bots SET status = 'paused', paused_reason = $2, updated_at = $3 "
            "WHERE status = 'running' AND ($1::text IS NULL OR user_id = $1) RETURNING user_id",
            user_id,
            reason,
            at,
        )
        return [r["user_id"] for r in rows]

    async def running_by_mode(self, conn: asyncpg.Connection) -> dict[str, int]:
        """How many bots run, platform-wide, per mode (paper, live)."""
        rows = await conn.fetch(
            "SELECT mode, count(*) AS bots FROM strategy.bots "
            "WHERE status = 'running' GROUP BY mode"
        )
        return {r["mode"]: r["bots"] for r in rows}

    async def running_for(
        self, conn: asyncpg.Connection, venue: str, symbol: str, timeframe: str
    ) -> list[dict[str, Any]]:
        """The running bots trading the pair, each with the equity its entries are sized on:
        its venue account's (execution's latest balances), else its owner's figure."""
        rows = await conn.fetch(
            "SELECT b.user_id, b.risk_level, b.max_position_usd, "
            "COALESCE(v.equity_usd, b.equity_usd) AS sizing_equity FROM strategy.bots b "
            "LEFT JOIN strategy.venue_balances v ON v.user_id = b.user_id AND v.venue = b.venue "
            "WHERE b.status = 'running' AND b.venue = $1 AND b.timeframe = $2 AND b.pairs ? $3",
            venue,
            timeframe,
            symbol,
        )
        return [dict(r) for r in rows]

    async def count_rejection(self, conn: asyncpg.Connection, user_id: str) -> int:
        count = await conn.fetchval(
            "UPDATE strategy.bots SET rejections = rejections + 1 WHERE user_id = $1 "
            "RETURNING rejections",
            user_id,
        )
        return int(count or 0)

    async def reset_rejections(self, conn: asyncpg.Connection, user_id: str) -> None:
        await conn.execute(
            "UPDATE strategy.bots SET rejections = 0 WHERE user_id = $1 AND rejections > 0",
            user_id,
        )

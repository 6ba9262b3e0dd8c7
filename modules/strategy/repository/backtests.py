"""Backtests and the parts of history they wait for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.strategy.domain.backtest_spec import Spec

_ACTIVE = ("queued", "ready", "running")
# A backtest claimed by a replica that died is taken again after this long.
_STALE_RUN = "15 minutes"
_CLAIM = f"""
UPDATE strategy.backtests SET status = 'running', started_at = $2
 WHERE id IN (SELECT id FROM strategy.backtests
               WHERE status = 'ready'
                  OR (status = 'running' AND started_at < $2::timestamptz - interval '{_STALE_RUN}')
               ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, params, book
"""  # noqa: S608 - a constant, not input


class BacktestRepository:
    async def active_count(self, conn: asyncpg.Connection, user_id: str) -> int:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM strategy.backtests WHERE user_id = $1 AND status = ANY($2)",
            user_id,
            list(_ACTIVE),
        )
        return count

    async def insert(
        self,
        conn: asyncpg.Connection,
        backtest_id: uuid.UUID,
        user_id: str,
        spec: Spec,
        bars_wanted: int,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO strategy.backtests (id, user_id, status, params, bars_wanted, requests, "
            "created_at) VALUES ($1, $2, 'queued', $3::jsonb, $4, 1, $5)",
            backtest_id,
            user_id,
            msgspec.json.encode(spec).decode(),
            bars_wanted,
            at,
        )

    async def waiting(self, conn: asyncpg.Connection, backtest_id: uuid.UUID) -> Any:
        """The backtest, locked, while it still waits for history; else None."""
        return await conn.fetchrow(
            "SELECT id, params, bars_wanted, bars_got, requests FROM strategy.backtests "
            "WHERE id = $1 AND status = 'queued' FOR UPDATE",
            backtest_id,
        )

    async def add_part(
        self,
        conn: asyncpg.Connection,
        backtest_id: uuid.UUID,
        request_id: str,
        start: datetime,
        bars: bytes,
    ) -> bool:
        """False when this answer was stored already."""
        status = await conn.execute(
            "INSERT INTO strategy.backtest_parts (backtest_id, request_id, start, bars) "
            "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (request_id) DO NOTHING",
            backtest_id,
            request_id,
            start,
            bars.decode(),
        )
        return bool(status.endswith(" 1"))

    async def progress(
        self,
        conn: asyncpg.Connection,
        backtest_id: uuid.UUID,
        *,
        bars_got: int,
        book: bytes,
        ready: bool,
    ) -> None:
        """More history arrived: ask again (another request) or wait for a worker (ready)."""
        await conn.execute(
            "UPDATE strategy.backtests SET bars_got = $2, book = $3::jsonb, "
            "status = CASE WHEN $4 THEN 'ready' ELSE status END, "
            "requests = requests + CASE WHEN $4 THEN 0 ELSE 1 END WHERE id = $1",
            backtest_id,
            bars_got,
            book.decode(),
            ready,
        )

    async def claim(self, conn: asyncpg.Connection, limit: int, at: datetime) -> list[Any]:
        return list(await conn.fetch(_CLAIM, limit, at))

    async def parts(self, conn: asyncpg.Connection, backtest_id: uuid.UUID) -> list[bytes]:
        rows = await conn.fetch(
            "SELECT bars FROM strategy.backtest_parts WHERE backtest_id = $1 ORDER BY start",
            backtest_id,
        )
        return [row["bars"].encode() for row in rows]

    async def finish(
        self,
        conn: asyncpg.Connection,
        backtest_id: uuid.UUID,
        at: datetime,
        *,
        report: bytes | None = None,
        error_code: str | None = None,
        error: str | None = None,
    ) -> None:
        """Done with its report, or failed with why; its history is no longer needed."""
        await conn.execute(
            "UPDATE strategy.backtests SET status = CASE WHEN $3::jsonb IS NULL THEN 'failed' "
            "ELSE 'done' END, report = $3::jsonb, error_code = $4, error = $5, "
            "finished_at = $2 WHERE id = $1",
            backtest_id,
            at,
            None if report is None else report.decode(),
            error_code,
            error,
        )
        await conn.execute(
            "DELETE FROM strategy.backtest_parts WHERE backtest_id = $1", backtest_id
        )

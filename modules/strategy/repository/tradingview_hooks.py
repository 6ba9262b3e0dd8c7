"""Users' TradingView hooks (only the secret's hash) and the fingerprints of alerts they saw."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg


class HookRepository:
    async def insert(
        self,
        conn: asyncpg.Connection,
        *,
        hook_id: uuid.UUID,
        user_id: str,
        venue: str,
        label: str | None,
        secret_hash: str,
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO strategy.tradingview_hooks (id, user_id, venue, label, secret_hash, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            hook_id,
            user_id,
            venue,
            label,
            secret_hash,
            at,
        )

    async def count_live(self, conn: asyncpg.Connection, user_id: str) -> int:
        count = await conn.fetchval(
            "SELECT count(*) FROM strategy.tradingview_hooks "
            "WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
        )
        return int(count)

    async def live(self, conn: asyncpg.Connection, hook_id: uuid.UUID) -> dict[str, Any] | None:
        """A hook that has not been revoked."""
        row = await conn.fetchrow(
            "SELECT id, user_id, venue, secret_hash FROM strategy.tradingview_hooks "
            "WHERE id = $1 AND revoked_at IS NULL",
            hook_id,
        )
        return None if row is None else dict(row)

    async def revoke(
        self, conn: asyncpg.Connection, user_id: str, hook_id: uuid.UUID, at: datetime
    ) -> bool:
        status = await conn.execute(
            "UPDATE strategy.tradingview_hooks SET revoked_at = $3 "
            "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            hook_id,
            user_id,
            at,
        )
        return bool(status.endswith(" 1"))

    async def alerted(self, conn: asyncpg.Connection, hook_id: uuid.UUID, at: datetime) -> None:
        await conn.execute(
            "UPDATE strategy.tradingview_hooks SET last_alert_at = $2 WHERE id = $1", hook_id, at
        )

    async def first_sight(
        self,
        conn: asyncpg.Connection,
        hook_id: uuid.UUID,
        fingerprint: str,
        expires_at: datetime,
        now: datetime,
    ) -> bool:
        """Remember an alert's fingerprint; False when it was already remembered (a replay).

        The hook's expired fingerprints go first: the per-hook rate limit keeps them few, and
        an expired one stands for an alert that would be refused as stale anyway.
        """
        await conn.execute(
            "DELETE FROM strategy.tradingview_fingerprints WHERE hook_id = $1 AND expires_at < $2",
            hook_id,
            now,
        )
        status = await conn.execute(
            "INSERT INTO strategy.tradingview_fingerprints (hook_id, fingerprint, expires_at) "
            "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            hook_id,
            fingerprint,
            expires_at,
        )
        return bool(status.endswith(" 1"))

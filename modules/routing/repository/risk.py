"""The writes that keep what the risk gate reads of a user current: trading settings, the
user's standing (identity's suspension and tier, execution's pause) and kill switches. Each
bumps the user's view version (`*` for the global kill switch) in the same statement; the gate
reads the view through repository/user_views.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.kernel.db import Database
from modules.routing.repository.user_views import GLOBAL, with_bump


class RiskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save_trading_settings(self, user_id: str, values: dict[str, Any]) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                with_bump(
                    "INSERT INTO routing.trading_settings (user_id, risk_level, max_position_usd, "
                    "max_daily_loss_usd, allowed_pairs, equity_usd, updated_at) "
                    "VALUES ($1, $2, $3, $4, $5::jsonb, $6, now()) ON CONFLICT (user_id) DO UPDATE "
                    "SET risk_level = $2, max_position_usd = $3, max_daily_loss_usd = $4, "
                    "allowed_pairs = $5::jsonb, equity_usd = $6, updated_at = now()",
                    "$1",
                ),
                user_id,
                values.get("risk_level"),
                values.get("max_position_usd"),
                values.get("max_daily_loss_usd"),
                None
                if values.get("allowed_pairs") is None
                else msgspec.json.encode(values["allowed_pairs"]).decode(),
                values.get("equity_usd"),
            )

    # -- identity's word on users --------------------------------------------------------------
    async def set_suspended(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        suspended: bool,
        reason: str | None,
        at: datetime,
    ) -> None:
        await conn.execute(
            with_bump(
                "INSERT INTO routing.user_status AS s (user_id, suspended, suspended_reason, "
                "status_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
                "SET suspended = $2, suspended_reason = $3, status_at = $4 "
                "WHERE s.status_at IS NULL OR s.status_at < $4",
                "$1",
            ),
            user_id,
            suspended,
            reason,
            at,
        )

    async def set_tier(
        self, conn: asyncpg.Connection, user_id: str, tier: str, at: datetime
    ) -> None:
        await conn.execute(
            with_bump(
                "INSERT INTO routing.user_status AS s (user_id, suspended, tier, tier_at) "
                "VALUES ($1, false, $2, $3) ON CONFLICT (user_id) DO UPDATE SET tier = $2, "
                "tier_at = $3 WHERE s.tier_at IS NULL OR s.tier_at < $3",
                "$1",
            ),
            user_id,
            tier,
            at,
        )

    async def is_suspended(self, conn: asyncpg.Connection, user_id: str) -> bool:
        return bool(
            await conn.fetchval(
                "SELECT suspended FROM routing.user_status WHERE user_id = $1", user_id
            )
        )

    async def set_paused(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        paused: bool,
        reason: str | None,
        at: datetime,
    ) -> None:
        await conn.execute(
            with_bump(
                "INSERT INTO routing.user_status AS s (user_id, suspended, paused, paused_reason, "
                "paused_at) VALUES ($1, false, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
                "SET paused = $2, paused_reason = $3, paused_at = $4 "
                "WHERE s.paused_at IS NULL OR s.paused_at < $4",
                "$1",
            ),
            user_id,
            paused,
            reason,
            at,
        )

    # -- kill switches ---------------------------------------------------------------------------
    async def kill_switch(self, conn: asyncpg.Connection, scope: str) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            "SELECT active, set_by, reason, changed_at FROM routing.kill_switches "
            "WHERE scope = $1 FOR UPDATE",
            scope,
        )
        return None if row is None else dict(row)

    async def set_kill_switch(
        self,
        conn: asyncpg.Connection,
        scope: str,
        active: bool,
        set_by: str,
        reason: str | None,
        actor_id: str | None = None,
    ) -> None:
        await conn.execute(
            with_bump(
                "INSERT INTO routing.kill_switches (scope, active, set_by, reason, changed_at, "
                "set_by_user_id) VALUES ($1, $2, $3, $4, now(), $5) "
                "ON CONFLICT (scope) DO UPDATE SET active = $2, set_by = $3, reason = $4, "
                "changed_at = now(), set_by_user_id = $5",
                "$6",
            ),
            scope,
            active,
            set_by,
            reason,
            actor_id,
            GLOBAL if scope == "global" else scope,
        )

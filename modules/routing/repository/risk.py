"""What the risk gate reads of a user, and the writes that keep it current: trading settings,
the user's standing (identity's suspension and tier, execution's pause) and kill switches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from modules.kernel.db import Database


class RiskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- the risk gate's view of the user -----------------------------------------------------
    async def risk_inputs(
        self, user_id: str, symbol: str, day_start: datetime
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The gate's view of the user, and their trading settings (None: none saved), in one
        round trip: it is on every order's path."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(_RISK_INPUTS, user_id, symbol, day_start.date())
        inputs = dict(row)
        settings = {column: inputs.pop(column) for column in _SETTINGS_COLUMNS}
        return inputs, _settings_row(settings) if inputs.pop("has_settings") else None

    async def save_trading_settings(self, user_id: str, values: dict[str, Any]) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "INSERT INTO routing.trading_settings (user_id, risk_level, max_position_usd, "
                "max_daily_loss_usd, allowed_pairs, equity_usd, updated_at) "
                "VALUES ($1, $2, $3, $4, $5::jsonb, $6, now()) ON CONFLICT (user_id) DO UPDATE "
                "SET risk_level = $2, max_position_usd = $3, max_daily_loss_usd = $4, "
                "allowed_pairs = $5::jsonb, equity_usd = $6, updated_at = now()",
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
            "INSERT INTO routing.user_status AS s (user_id, suspended, suspended_reason, "
            "status_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
            "SET suspended = $2, suspended_reason = $3, status_at = $4 "
            "WHERE s.status_at IS NULL OR s.status_at < $4",
            user_id,
            suspended,
            reason,
            at,
        )

    async def set_tier(
        self, conn: asyncpg.Connection, user_id: str, tier: str, at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO routing.user_status AS s (user_id, suspended, tier, tier_at) "
            "VALUES ($1, false, $2, $3) ON CONFLICT (user_id) DO UPDATE SET tier = $2, "
            "tier_at = $3 WHERE s.tier_at IS NULL OR s.tier_at < $3",
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
            "INSERT INTO routing.user_status AS s (user_id, suspended, paused, paused_reason, "
            "paused_at) VALUES ($1, false, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE "
            "SET paused = $2, paused_reason = $3, paused_at = $4 "
            "WHERE s.paused_at IS NULL OR s.paused_at < $4",
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
            "INSERT INTO routing.kill_switches (scope, active, set_by, reason, changed_at, "
            "set_by_user_id) VALUES ($1, $2, $3, $4, now(), $5) ON CONFLICT (scope) DO UPDATE "
            "SET active = $2, set_by = $3, reason = $4, changed_at = now(), set_by_user_id = $5",
            scope,
            active,
            set_by,
            reason,
            actor_id,
        )


_RISK_INPUTS = """
SELECT (SELECT sum(quantity) FROM routing.positions WHERE user_id = $1 AND symbol = $2)
           AS position_quantity,
       (SELECT count(*) FROM routing.positions WHERE user_id = $1 AND quantity <> 0)
           AS open_positions,
       today.trades AS trades_today,
       today.realised AS realised_today,
       (SELECT row_to_json(s) FROM (SELECT suspended, tier, paused, paused_reason
                                      FROM routing.user_status
         WHERE user_id = $1) s)::text AS status,
       (SELECT string_agg(scope, ',') FROM routing.kill_switches
         WHERE active AND scope IN ('global', $1)) AS kill_switches,
       (SELECT sum(e.equity_usd) FROM routing.venue_equity e
          JOIN routing.user_venues u ON u.credential_id = e.credential_id
         WHERE e.user_id = $1 AND u.revoked_at IS NULL) AS balance_equity,
       ts.user_id IS NOT NULL AS has_settings,
       ts.risk_level, ts.max_position_usd, ts.max_daily_loss_usd, ts.allowed_pairs, ts.equity_usd
  FROM (SELECT 1) AS one
  LEFT JOIN routing.trading_settings ts ON ts.user_id = $1
  LEFT JOIN routing.daily_pnl today ON today.user_id = $1 AND today.day = $3
"""
_SETTINGS_COLUMNS = (
    "risk_level",
    "max_position_usd",
    "max_daily_loss_usd",
    "allowed_pairs",
    "equity_usd",
)


def _settings_row(row: Any) -> dict[str, Any]:
    values = dict(row)
    pairs = values.get("allowed_pairs")
    values["allowed_pairs"] = None if pairs is None else msgspec.json.decode(pairs)
    return values

"""A trader's risk settings and the limits they give (their own, else the platform's defaults)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import asyncpg
import msgspec

from modules.kernel.auth import Principal
from modules.kernel.db import Database
from modules.routing.domain.risk import RISK_LEVEL_PCT, RiskPolicy, build_snapshot, position_cap
from modules.routing.schemas import RiskLevel, TradingSettingsView

# The same sum the risk gate reads (repository/risk.py): the user's active venue accounts.
_BALANCE_EQUITY = """
SELECT sum(e.equity_usd) FROM routing.venue_equity e
  JOIN routing.user_venues u ON u.credential_id = e.credential_id
 WHERE e.user_id = $1 AND u.revoked_at IS NULL
"""


class SettingsViews:
    def __init__(self, db: Database, policy: RiskPolicy) -> None:
        self._db = db
        self._policy = policy

    async def stored(self, user_id: str) -> dict[str, Any] | None:
        """What the user saved (None: nothing yet)."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT risk_level, max_position_usd, max_daily_loss_usd, allowed_pairs, "
                "equity_usd FROM routing.trading_settings WHERE user_id = $1",
                user_id,
            )
        if row is None:
            return None
        values = dict(row)
        pairs = values.get("allowed_pairs")
        values["allowed_pairs"] = None if pairs is None else msgspec.json.decode(pairs)
        return values

    async def trading_settings(self, principal: Principal) -> TradingSettingsView:
        stored = await self.stored(principal.user_id)
        async with self._db.connection() as conn:
            status = await conn.fetchrow(
                "SELECT suspended, tier, paused, paused_reason FROM routing.user_status "
                "WHERE user_id = $1",
                principal.user_id,
            )
            switch = await active_kill_switch(conn, principal.user_id)
            balance_equity = await conn.fetchval(_BALANCE_EQUITY, principal.user_id)
        snapshot = build_snapshot(
            self._policy,
            settings=stored,
            status=None if status is None else dict(status),
            fallback_tier=principal.tier,
            kill_switch=switch,
            position_quantity=Decimal(0),
            open_positions=0,
            trades_today=0,
            realised_today=Decimal(0),
            balance_equity=balance_equity,
        )
        return TradingSettingsView(
            risk_level=cast(RiskLevel, snapshot.risk_level),
            position_limit_pct=RISK_LEVEL_PCT[snapshot.risk_level],
            position_limit_usd=position_cap(snapshot),
            max_position_usd=snapshot.max_position_usd,
            max_daily_loss_usd=snapshot.max_daily_loss_usd,
            allowed_pairs=snapshot.allowed_pairs,
            equity_usd=snapshot.equity_usd,
            equity_source=snapshot.equity_source,
            tier=snapshot.tier,
            max_open_positions=snapshot.max_open_positions,
            trades_per_day=snapshot.trades_per_day,
            kill_switch=snapshot.kill_switch,
        )


async def active_kill_switch(conn: asyncpg.Connection, user_id: str) -> str | None:
    """ "global" or "user" if a kill switch halts this user, else None."""
    scopes = {
        row["scope"]
        for row in await conn.fetch(
            "SELECT scope FROM routing.kill_switches WHERE active AND scope IN ('global', $1)",
            user_id,
        )
    }
    if "global" in scopes:
        return "global"
    return "user" if scopes else None

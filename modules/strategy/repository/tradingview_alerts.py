"""The alerts each TradingView hook received and what became of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg
import msgspec


class NewAlert(msgspec.Struct, frozen=True, kw_only=True):
    hook_id: uuid.UUID
    user_id: str
    action: str
    symbol: str
    status: str  # submitted (to routing's gate) or refused
    intent_id: uuid.UUID | None = None
    side: str | None = None
    quantity: Decimal | None = None
    code: str | None = None
    reason: str | None = None


class AlertRepository:
    async def insert(
        self, conn: asyncpg.Connection, alert: NewAlert, at: datetime, keep: int
    ) -> None:
        """Record an alert; the hook keeps its `keep` latest (the newest say what is wrong)."""
        await conn.execute(
            "INSERT INTO strategy.tradingview_alerts (hook_id, user_id, intent_id, action, "
            "symbol, side, quantity, status, code, reason, received_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            alert.hook_id,
            alert.user_id,
            alert.intent_id,
            alert.action,
            alert.symbol,
            alert.side,
            alert.quantity,
            alert.status,
            alert.code,
            alert.reason,
            at,
        )
        await conn.execute(
            "DELETE FROM strategy.tradingview_alerts WHERE hook_id = $1 AND id <= "
            "(SELECT id FROM strategy.tradingview_alerts WHERE hook_id = $1 "
            "ORDER BY id DESC OFFSET $2 LIMIT 1)",
            alert.hook_id,
            keep,
        )

    async def refused(
        self, conn: asyncpg.Connection, intent_id: uuid.UUID, code: str, reason: str
    ) -> None:
        """Routing's gate said no to an alert's order (none when the intent is not an alert's)."""
        await conn.execute(
            "UPDATE strategy.tradingview_alerts SET status = 'refused', code = $2, reason = $3 "
            "WHERE intent_id = $1",
            intent_id,
            code,
            reason,
        )

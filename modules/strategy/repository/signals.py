"""Signals the bot acted on, with why (stored as the evaluation's detail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec


class NewSignal(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    venue: str
    symbol: str
    timeframe: str
    bar_start: datetime
    action: str
    detail: dict[str, Any]
    order_ids: list[str]


class SignalRepository:
    async def insert(self, conn: asyncpg.Connection, signal: NewSignal, at: datetime) -> None:
        await conn.execute(
            "INSERT INTO strategy.signals (user_id, venue, symbol, timeframe, bar_start, action, "
            "detail, order_ids, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, "
            "$9)",
            signal.user_id,
            signal.venue,
            signal.symbol,
            signal.timeframe,
            signal.bar_start,
            signal.action,
            msgspec.json.encode(signal.detail).decode(),
            msgspec.json.encode(signal.order_ids).decode(),
            at,
        )

"""Signals the bot acted on, with why (stored as the evaluation's detail)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from modules.strategy.domain.bars import BarKey


class NewSignal(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    action: str
    detail: str  # JSON, encoded by the caller (a bar's bots share most of it)
    order_ids: list[str]


_INSERT = """
INSERT INTO strategy.signals (user_id, venue, symbol, timeframe, bar_start, action, detail,
       order_ids, created_at)
SELECT s.user_id, $1, $2, $3, $4, s.action, s.detail::jsonb, s.order_ids::jsonb, $5
  FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY
       AS s(user_id, action, detail, order_ids, n)
 ORDER BY s.n
RETURNING id
"""


class SignalRepository:
    async def insert_many(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar_start: datetime,
        signals: Sequence[NewSignal],
        at: datetime,
    ) -> list[int]:
        """Record the bar's signals; their ids, in the order given."""
        if not signals:
            return []
        rows = await conn.fetch(
            _INSERT,
            key.venue,
            key.symbol,
            key.timeframe,
            bar_start,
            at,
            [s.user_id for s in signals],
            [s.action for s in signals],
            [s.detail for s in signals],
            [msgspec.json.encode(s.order_ids).decode() for s in signals],
        )
        # Ids come from one sequence in the order rows are inserted, which ORDER BY fixes.
        return sorted(r["id"] for r in rows)

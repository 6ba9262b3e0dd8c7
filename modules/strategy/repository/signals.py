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
    detail: msgspec.Raw  # JSON, encoded by the caller: the signal's own part
    order_ids: list[str]
    shares_verdict: bool = False  # the rest of its detail is the bar's verdict


_VERDICT = """
INSERT INTO strategy.bar_verdicts (venue, symbol, timeframe, bar_start, detail)
VALUES ($1, $2, $3, $4, $5::jsonb)
ON CONFLICT (venue, symbol, timeframe, bar_start) DO UPDATE SET detail = EXCLUDED.detail
RETURNING id
"""
# Rows go in as one JSON document (see repository/positions.py), in order, so the ids the
# sequence gives them come back in the order given.
_INSERT = """
INSERT INTO strategy.signals (user_id, venue, symbol, timeframe, bar_start, action, detail,
       order_ids, created_at, verdict_id)
SELECT s.user_id, $1, $2, $3, $4, s.action, s.detail, s.order_ids, $5,
       CASE WHEN s.shares_verdict THEN $6::bigint END
  FROM ROWS FROM (json_to_recordset($7::json) AS (user_id text, action text, detail jsonb,
       order_ids jsonb, shares_verdict bool)) WITH ORDINALITY
       AS s(user_id, action, detail, order_ids, shares_verdict, n)
 ORDER BY s.n
RETURNING id
"""
_encode = msgspec.json.Encoder().encode


class SignalRepository:
    async def insert_many(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar_start: datetime,
        signals: Sequence[NewSignal],
        at: datetime,
        verdict: str | None = None,
    ) -> list[int]:
        """Record the bar's signals, with the bar's `verdict` (JSON) once for those sharing
        it; their ids, in the order given."""
        if not signals:
            return []
        verdict_id = None
        if verdict is not None and any(s.shares_verdict for s in signals):
            verdict_id = await conn.fetchval(
                _VERDICT, key.venue, key.symbol, key.timeframe, bar_start, verdict
            )
        rows = await conn.fetch(
            _INSERT,
            key.venue,
            key.symbol,
            key.timeframe,
            bar_start,
            at,
            verdict_id,
            _encode(signals).decode(),
        )
        # Ids come from one sequence in the order rows are inserted, which ORDER BY fixes.
        return sorted(r["id"] for r in rows)

"""The bot's positions with what protects them (stop, targets, trailing) and the exit in flight.

Live positions are `pending` (entry sent, nothing filled yet) or `open`; they end `closed` or,
when the entry never filled, `failed`. Every change of an open or closing position that readers
see (`BotPositionChanged`) bumps its `version` in the same statement and returns the row, so the
caller publishes exactly the changes that happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.strategy.domain.bar_step import NewEntry
from modules.strategy.domain.bars import BarKey
from modules.strategy.domain.protection import Guard

_COLUMNS = (
    "id, user_id, venue, symbol, timeframe, status, entry_intent_id, planned_quantity, quantity, "
    "exited, entry_price, stop, planned_risk, targets, targets_hit, trailing_on, exit_in_flight, "
    "exit_attempts, opened_at, close_reason, held, entry_venue, version"
)
_decode_targets = msgspec.json.Decoder(list[Decimal]).decode
_decode_held = msgspec.json.Decoder(dict[str, Decimal]).decode
_encode = msgspec.json.Encoder().encode


def _row(record: Any) -> dict[str, Any]:
    row = dict(record)
    row["targets"] = _decode_targets(row["targets"])
    row["held"] = _decode_held(row["held"])
    return row


def guard_of(row: dict[str, Any]) -> Guard:
    return Guard(
        entry_price=row["entry_price"],
        quantity=row["quantity"],
        exited=row["exited"],
        stop=row["stop"],
        targets=row["targets"],
        targets_hit=row["targets_hit"],
        trailing=row["trailing_on"],
    )


def targets_json(targets: Sequence[Decimal]) -> str:
    return msgspec.json.encode([str(t) for t in targets]).decode()


# Rows go in as one JSON document, not one array per column: the driver encodes arrays an
# element at a time in Python, where msgspec encodes the whole bar's rows at once.
_INSERT = """
INSERT INTO strategy.positions (id, user_id, venue, symbol, timeframe, status, entry_intent_id,
       planned_quantity, quantity, exited, stop, planned_risk, targets, opened_at)
SELECT p.position_id, p.user_id, $1, $2, $3, 'pending', p.intent_id, p.quantity, 0, 0, p.stop,
       p.planned_risk, p.targets, $4
  FROM json_to_recordset($5::json) AS p(position_id uuid, user_id text, intent_id uuid,
       quantity numeric, stop numeric, planned_risk numeric, targets jsonb)
ON CONFLICT DO NOTHING RETURNING id
"""
_SAVE_GUARDS = f"""
UPDATE strategy.positions p
   SET stop = g.stop, targets = g.targets, targets_hit = g.targets_hit,
       trailing_on = g.trail, exit_in_flight = COALESCE(g.exit_in_flight, p.exit_in_flight),
       exit_attempts = GREATEST(p.exit_attempts, g.exit_attempts),
       version = p.version + CASE WHEN g.visible THEN 1 ELSE 0 END
  FROM json_to_recordset($1::json) AS g(position_id uuid, stop numeric, targets jsonb,
       targets_hit int, trail bool, exit_in_flight uuid, exit_attempts int, visible bool)
 WHERE p.id = g.position_id AND p.status = 'open'
RETURNING {", ".join("p." + c.strip() for c in _COLUMNS.split(","))}, g.visible
"""  # noqa: S608 - constant columns

_SET_FILLS = """
WITH per_venue AS (
  SELECT o.venue,
         sum(CASE WHEN i.kind = 'entry' THEN o.filled_quantity ELSE 0 END) AS bought,
         sum(CASE WHEN i.kind = 'entry' THEN 0 ELSE o.filled_quantity END) AS sold
    FROM strategy.intent_orders o JOIN strategy.intents i ON i.intent_id = o.intent_id
   WHERE i.position_id = $1 GROUP BY o.venue)
UPDATE strategy.positions
   SET exited = GREATEST(exited, $2),
       held = COALESCE((SELECT jsonb_object_agg(venue, bought - sold) FROM per_venue), held),
       entry_venue = COALESCE((SELECT venue FROM per_venue WHERE bought > 0
                                ORDER BY bought DESC, venue LIMIT 1), entry_venue)
 WHERE id = $1
"""
_ENTRY_FILLED = f"""
UPDATE strategy.positions
   SET status = 'open', quantity = $2, entry_price = $3, targets = COALESCE($4::jsonb, targets),
       version = version + 1
 WHERE id = $1 AND status IN ('pending', 'open')
   AND (quantity, entry_price) IS DISTINCT FROM ($2, $3)
RETURNING {_COLUMNS}
"""  # noqa: S608 - constant columns
_CLOSE = f"""
UPDATE strategy.positions
   SET status = 'closed', close_reason = $2, closed_at = $3, exit_in_flight = NULL,
       version = version + 1
 WHERE id = $1 AND status = 'open'
RETURNING {_COLUMNS}
"""  # noqa: S608 - constant columns
# Held only at venues execution now reports empty (or never heard of holding any), and why:
# the bot's own exit in flight, else what the caller says (a kill switch's close, the trader's).
_CLOSE_OUTSIDE = f"""
UPDATE strategy.positions p
   SET status = 'closed', closed_at = $5, exited = quantity, exit_in_flight = NULL,
       version = version + 1,
       close_reason = COALESCE((SELECT CASE i.kind WHEN 'stop_loss' THEN 'stop_loss'
                                       WHEN 'profit_take' THEN 'take_profit'
                                       ELSE 'exit_signal' END
                                  FROM strategy.intents i WHERE i.intent_id = p.exit_in_flight),
                               $4)
 WHERE p.user_id = $1 AND p.symbol = $3 AND p.status = 'open'
   AND (p.held ? $2 OR (p.held = '{{}}'::jsonb AND p.venue = $2))
   AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(p.held) h
                     LEFT JOIN strategy.venue_positions v ON v.user_id = p.user_id
                           AND v.venue = h.key AND v.symbol = p.symbol
                    WHERE h.value::numeric > 0 AND COALESCE(v.quantity, 1) > 0)
RETURNING {_COLUMNS}
"""  # noqa: S608 - constant columns


class GuardUpdate(msgspec.Struct, frozen=True, kw_only=True):
    position_id: uuid.UUID
    guard: Guard
    visible: bool  # stop, targets or trailing moved: readers are told (a new version)
    exit_in_flight: uuid.UUID | None = None  # an exit sent on this bar
    exit_attempts: int = 0


class _GuardRow(msgspec.Struct, frozen=True, kw_only=True):
    position_id: uuid.UUID
    stop: Decimal
    targets: list[Decimal]
    targets_hit: int
    trail: bool  # "trailing" is a keyword of SQL
    exit_in_flight: uuid.UUID | None
    exit_attempts: int
    visible: bool


def _guard_row(update: GuardUpdate) -> _GuardRow:
    guard = update.guard
    return _GuardRow(
        position_id=update.position_id,
        stop=guard.stop,
        targets=guard.targets,
        targets_hit=guard.targets_hit,
        trail=guard.trailing,
        exit_in_flight=update.exit_in_flight,
        exit_attempts=update.exit_attempts,
        visible=update.visible,
    )


class PositionRepository:
    async def insert_many(
        self, conn: asyncpg.Connection, key: BarKey, entries: Sequence[NewEntry], at: datetime
    ) -> set[uuid.UUID]:
        """New pending positions; the ids inserted (not those whose bot already holds a live
        position in the pair, nor those already stored)."""
        rows = await conn.fetch(
            _INSERT, key.venue, key.symbol, key.timeframe, at, _encode(entries).decode()
        )
        return {r["id"] for r in rows}

    async def live_for_pair(
        self, conn: asyncpg.Connection, venue: str, symbol: str, timeframe: str
    ) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM strategy.positions WHERE venue = $1 "  # noqa: S608
            "AND symbol = $2 AND timeframe = $3 AND status IN ('pending', 'open') ORDER BY id",
            venue,
            symbol,
            timeframe,
        )
        return [_row(r) for r in rows]

    async def position(
        self, conn: asyncpg.Connection, position_id: uuid.UUID
    ) -> dict[str, Any] | None:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM strategy.positions WHERE id = $1 FOR UPDATE",  # noqa: S608
            position_id,
        )
        return None if row is None else _row(row)

    async def save_guards(
        self, conn: asyncpg.Connection, updates: Sequence[GuardUpdate]
    ) -> list[dict[str, Any]]:
        """Store each position's guard after a bar (and the exit sent on it); the rows whose
        change readers see, with their new version."""
        rows = await conn.fetch(_SAVE_GUARDS, _encode([_guard_row(u) for u in updates]).decode())
        return [_row(r) for r in rows if r["visible"]]

    async def entry_filled(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        quantity: Decimal,
        price: Decimal,
        targets: list[Decimal] | None,
    ) -> dict[str, Any] | None:
        """The entry's fills so far: the position is open with what they bought at their
        average price (targets from it, until one is hit). The row when that changed it."""
        row = await conn.fetchrow(
            _ENTRY_FILLED,
            position_id,
            quantity,
            price,
            None if targets is None else targets_json(targets),
        )
        return None if row is None else _row(row)

    async def set_fills(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, exited: Decimal
    ) -> None:
        """What the exits sold so far, and where the position's quantity now is, from the
        fills of every order of its intents."""
        await conn.execute(_SET_FILLS, position_id, exited)

    async def clear_exit(self, conn: asyncpg.Connection, position_id: uuid.UUID) -> None:
        """No exit in flight any more, once none of the position's exits is."""
        await conn.execute(
            "UPDATE strategy.positions SET exit_in_flight = NULL WHERE id = $1 "
            "AND exit_in_flight IS NOT NULL AND NOT EXISTS (SELECT 1 FROM strategy.intents "
            "WHERE position_id = $1 AND kind <> 'entry' "
            "AND status IN ('submitted', 'partially_filled'))",
            position_id,
        )

    async def exit_again(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, intent_id: uuid.UUID
    ) -> None:
        """An exit thought over is in flight again (routing re-routed it)."""
        await conn.execute(
            "UPDATE strategy.positions SET exit_in_flight = $2 "
            "WHERE id = $1 AND status = 'open' AND exit_in_flight IS NULL",
            position_id,
            intent_id,
        )

    async def close(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, reason: str, at: datetime
    ) -> dict[str, Any] | None:
        """Closed by the bot's own exits; the row, when it was open until now."""
        row = await conn.fetchrow(_CLOSE, position_id, reason, at)
        return None if row is None else _row(row)

    async def fail(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, reason: str, at: datetime
    ) -> None:
        """The entry ended with nothing filled: no position was ever held."""
        await conn.execute(
            "UPDATE strategy.positions SET status = 'failed', close_reason = $2, closed_at = $3 "
            "WHERE id = $1 AND status = 'pending'",
            position_id,
            reason,
            at,
        )

    async def revive(self, conn: asyncpg.Connection, position_id: uuid.UUID) -> None:
        """Pending again: routing sent the failed entry on (to another venue, or a part of it),
        unless the bot has entered the pair again since."""
        await conn.execute(
            "UPDATE strategy.positions p SET status = 'pending', close_reason = NULL, "
            "closed_at = NULL WHERE p.id = $1 AND p.status = 'failed' AND NOT EXISTS ("
            "SELECT 1 FROM strategy.positions o WHERE o.user_id = p.user_id "
            "AND o.venue = p.venue AND o.symbol = p.symbol AND o.status IN ('pending', 'open'))",
            position_id,
        )

    async def close_outside(
        self,
        conn: asyncpg.Connection,
        user_id: str,
        venue: str,
        symbol: str,
        outside_reason: str,
        at: datetime,
    ) -> list[dict[str, Any]]:
        """Execution says the user holds none of the pair at `venue` any more. A bot position
        held only at venues now empty is closed: by the bot's exit in flight (its report may
        come later), or by a close it did not order (the trader's, the kill switch's)."""
        rows = await conn.fetch(_CLOSE_OUTSIDE, user_id, venue, symbol, outside_reason, at)
        return [_row(r) for r in rows]

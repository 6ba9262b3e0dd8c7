"""The bot's positions with what protects them (stop, targets, trailing) and the exit in flight.

Live positions are `pending` (entry sent, nothing filled yet) or `open`; they end `closed` or,
when the entry never filled, `failed`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.strategy.domain.protection import Guard

_COLUMNS = (
    "id, user_id, venue, symbol, timeframe, status, entry_intent_id, planned_quantity, quantity, "
    "exited, entry_price, stop, planned_risk, targets, targets_hit, trailing_on, exit_in_flight, "
    "exit_attempts, opened_at"
)


def _row(record: Any) -> dict[str, Any]:
    row = dict(record)
    row["targets"] = [Decimal(t) for t in msgspec.json.decode(row["targets"])]
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


def _targets(targets: list[Decimal]) -> str:
    return msgspec.json.encode([str(t) for t in targets]).decode()


class NewPosition(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    venue: str
    symbol: str
    timeframe: str
    entry_intent_id: uuid.UUID
    planned_quantity: Decimal
    stop: Decimal
    planned_risk: Decimal
    targets: list[Decimal]
    opened_at: datetime


class PositionRepository:
    async def insert(self, conn: asyncpg.Connection, position: NewPosition) -> bool:
        """False when the bot already holds a live position in the pair (or this one exists)."""
        status = await conn.execute(
            "INSERT INTO strategy.positions (id, user_id, venue, symbol, timeframe, status, "
            "entry_intent_id, planned_quantity, quantity, exited, stop, planned_risk, targets, "
            "opened_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, 0, 0, $8, $9, $10::jsonb, "
            "$11) ON CONFLICT DO NOTHING",
            position.id,
            position.user_id,
            position.venue,
            position.symbol,
            position.timeframe,
            position.entry_intent_id,
            position.planned_quantity,
            position.stop,
            position.planned_risk,
            _targets(position.targets),
            position.opened_at,
        )
        return bool(status.endswith(" 1"))

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

    async def position(self, conn: asyncpg.Connection, position_id: uuid.UUID) -> dict[str, Any]:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM strategy.positions WHERE id = $1 FOR UPDATE",  # noqa: S608
            position_id,
        )
        return _row(row)

    async def save_guard(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        guard: Guard,
        *,
        exit_in_flight: uuid.UUID | None,
        exit_attempts: int,
    ) -> None:
        await conn.execute(
            "UPDATE strategy.positions SET stop = $2, targets = $3::jsonb, targets_hit = $4, "
            "trailing_on = $5, exit_in_flight = $6, exit_attempts = $7 WHERE id = $1",
            position_id,
            guard.stop,
            _targets(guard.targets),
            guard.targets_hit,
            guard.trailing,
            exit_in_flight,
            exit_attempts,
        )

    async def entry_filled(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        quantity: Decimal,
        price: Decimal,
        targets: list[Decimal],
    ) -> None:
        await conn.execute(
            "UPDATE strategy.positions SET status = 'open', quantity = $2, entry_price = $3, "
            "targets = $4::jsonb WHERE id = $1 AND status IN ('pending', 'open')",
            position_id,
            quantity,
            price,
            _targets(targets),
        )

    async def set_exited(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, exited: Decimal
    ) -> None:
        await conn.execute(
            "UPDATE strategy.positions SET exited = GREATEST(exited, $2) WHERE id = $1",
            position_id,
            exited,
        )

    async def clear_exit(
        self, conn: asyncpg.Connection, position_id: uuid.UUID, intent_id: uuid.UUID
    ) -> None:
        await conn.execute(
            "UPDATE strategy.positions SET exit_in_flight = NULL "
            "WHERE id = $1 AND exit_in_flight = $2",
            position_id,
            intent_id,
        )

    async def close(
        self,
        conn: asyncpg.Connection,
        position_id: uuid.UUID,
        status: str,
        reason: str,
        at: datetime,
    ) -> None:
        await conn.execute(
            "UPDATE strategy.positions SET status = $2, close_reason = $3, closed_at = $4, "
            "exit_in_flight = NULL WHERE id = $1 AND status IN ('pending', 'open')",
            position_id,
            status,
            reason,
            at,
        )

    async def close_outside(
        self, conn: asyncpg.Connection, user_id: str, venue: str, symbol: str, at: datetime
    ) -> None:
        """Execution says the user holds none of the pair there any more: the bot's exit in
        flight did it (its report may come later), or a close the bot did not order (the
        trader's, the kill switch's) ended the bot's position too."""
        await conn.execute(
            "UPDATE strategy.positions SET status = 'closed', closed_at = $4, "
            "close_reason = COALESCE((SELECT kind FROM strategy.intents "
            "WHERE intent_id = exit_in_flight), 'closed_outside'), "
            "exit_in_flight = NULL, exited = quantity "
            "WHERE user_id = $1 AND venue = $2 AND symbol = $3 AND status = 'open'",
            user_id,
            venue,
            symbol,
            at,
        )

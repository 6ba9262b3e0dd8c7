"""The bot's events as they are built from what it stored: its intents, its signals and each
visible change of its positions.

Their ids derive from what they describe (the intent, the signal row, the position and its
version), so a consumer may dedupe on them, and a bar's thousand events cost no random ids.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from modules.strategy.contracts import BotPositionChanged, IntentSubmitted, SignalRecorded
from modules.strategy.domain.bars import BarKey
from modules.strategy.repository.intents import NewIntent


def intent_submitted(intent: NewIntent, symbol: str, at: datetime) -> IntentSubmitted:
    return IntentSubmitted(
        event_id=f"intent:{intent.intent_id}",
        occurred_at=at,
        intent_id=str(intent.intent_id),
        user_id=intent.user_id,
        symbol=symbol,
        side=intent.side,  # type: ignore[arg-type]
        quantity=intent.quantity,
        signal=intent.kind,  # type: ignore[arg-type]
        venue=intent.venue,
    )


def signal_recorded(
    signal_id: int,
    user_id: str,
    key: BarKey,
    bar_start: datetime,
    *,
    action: str,
    score: int | None,
    conditions: list[str],
    stop: Decimal | None,
    targets: list[Decimal],
    intent_ids: list[str],
    at: datetime,
) -> SignalRecorded:
    return SignalRecorded(
        event_id=f"signal:{signal_id}",
        occurred_at=at,
        signal_id=str(signal_id),
        user_id=user_id,
        venue=key.venue,
        symbol=key.symbol,
        timeframe=key.timeframe,
        bar_start=bar_start,
        action=action,  # type: ignore[arg-type]
        side="buy" if action == "entry" else "sell",
        score=score,
        conditions=conditions,
        stop=stop,
        targets=targets,
        intent_ids=intent_ids,
    )


def position_changed(row: dict[str, Any], at: datetime) -> BotPositionChanged:
    """A bot position as readers see it: where its entry filled (the bot's venue, unless
    routing took it elsewhere), what it bought, what protects it, and why it closed."""
    closed = row["status"] == "closed"
    return BotPositionChanged(
        event_id=f"bot-position:{row['id']}:{row['version']}",
        occurred_at=at,
        bot_position_id=str(row["id"]),
        user_id=row["user_id"],
        venue=row["entry_venue"] or row["venue"],
        symbol=row["symbol"],
        status="closed" if closed else "open",
        entry_intent_id=str(row["entry_intent_id"]),
        entry_price=row["entry_price"],
        quantity=row["quantity"],
        stop=row["stop"],
        targets=list(row["targets"]),
        targets_hit=row["targets_hit"],
        trailing=row["trailing_on"],
        close_reason=row["close_reason"] if closed else None,
        version=row["version"],
    )

"""One bot's trades on one closed bar: protect its open position (stop, targets, trailing),
exit on an opposite signal or an EMA9/21 cross, or enter on an APEX signal.

Every state change and the intent it leads to are written in the caller's transaction, and the
intent goes out through the outbox with it: a crash loses neither, and a redelivered bar finds
the intent's deterministic id already stored and sends nothing twice.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.kernel.events import IntegrationEvent
from modules.strategy.contracts import IntentSubmitted
from modules.strategy.domain import protection
from modules.strategy.domain.apex import Evaluation
from modules.strategy.domain.bars import Bar, BarKey
from modules.strategy.domain.sizing import entry_notional, quantity_for
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.intents import IntentRepository, NewIntent
from modules.strategy.repository.positions import NewPosition, PositionRepository, guard_of
from modules.strategy.repository.signals import NewSignal, SignalRepository

_IDS = uuid.UUID("9d3c1f0e-4b7a-4e21-8f6d-2a5b7c9e0d13")


def entry_intent_id(user_id: str, key: BarKey, bar: Bar) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"entry:{user_id}:{key.venue}:{key.symbol}:{key.timeframe}:{bar.start}")


def exit_intent_id(position_id: uuid.UUID, attempt: int) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"exit:{position_id}:{attempt}")


class Trades:
    def __init__(
        self,
        bots: BotRepository,
        positions: PositionRepository,
        intents: IntentRepository,
        signals: SignalRepository,
    ) -> None:
        self._bots = bots
        self._positions = positions
        self._intents = intents
        self._signals = signals

    @staticmethod
    def may_act(
        evaluation: Evaluation, bot: dict[str, Any] | None, position: dict[str, Any] | None
    ) -> bool:
        """Whether `on_bar` can do anything for this bot on this bar: protect (and maybe exit)
        its open position, or enter on a signal. Most bars, most bots do nothing."""
        if position is not None:
            return bool(position["status"] == "open")
        return bot is not None and evaluation.long.action == "entry"

    async def on_bar(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        evaluation: Evaluation,
        bot: dict[str, Any] | None,
        position: dict[str, Any] | None,
        at: Any,
    ) -> list[IntegrationEvent]:
        """The intents one bot sends on this bar (none, one exit, or one entry)."""
        if position is not None and position["status"] == "open":
            sent, guard = await self._protect(conn, key, bar, evaluation, position, at)
            if sent or bot is None or evaluation.exit_long is None:
                return sent
            if position["exit_in_flight"] is not None:
                return []
            detail = {
                "reason": evaluation.exit_long,
                "short": msgspec.to_builtins(evaluation.short),
            }
            return await self._exit(
                conn, key, bar, position, "exit", guard.remaining, guard, detail, at
            )
        if position is None and bot is not None and evaluation.long.action == "entry":
            return await self._enter(conn, key, bar, evaluation, bot, at)
        return []

    async def _protect(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        evaluation: Evaluation,
        position: dict[str, Any],
        at: Any,
    ) -> tuple[list[IntegrationEvent], protection.Guard]:
        guard = guard_of(position)
        atr = None if evaluation.indicators is None else evaluation.indicators.atr
        step = protection.on_bar(
            guard, bar, atr, exit_in_flight=position["exit_in_flight"] is not None
        )
        if step.exit is None:
            if step.guard != guard:
                await self._positions.save_guard(
                    conn,
                    position["id"],
                    step.guard,
                    exit_in_flight=position["exit_in_flight"],
                    exit_attempts=position["exit_attempts"],
                )
            return [], step.guard
        detail = {"level": step.exit.price, "guard": msgspec.to_builtins(step.guard)}
        sent = await self._exit(
            conn, key, bar, position, step.exit.kind, step.exit.quantity, step.guard, detail, at
        )
        return sent, step.guard

    async def _exit(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        position: dict[str, Any],
        kind: str,
        quantity: Decimal,
        guard: protection.Guard,
        detail: dict[str, Any],
        at: Any,
    ) -> list[IntegrationEvent]:
        if quantity <= 0:
            return []
        attempt = position["exit_attempts"]
        intent_id = exit_intent_id(position["id"], attempt)
        intent = NewIntent(
            intent_id=intent_id,
            user_id=position["user_id"],
            position_id=position["id"],
            kind=kind,
            side="sell",
            quantity=quantity,
        )
        if not await self._intents.insert(conn, intent, at):
            return []
        await self._positions.save_guard(
            conn, position["id"], guard, exit_in_flight=intent_id, exit_attempts=attempt + 1
        )
        await self._record(conn, key, bar, position["user_id"], kind, detail, [intent_id], at)
        return [_submitted(intent, key)]

    async def _enter(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        evaluation: Evaluation,
        bot: dict[str, Any],
        at: Any,
    ) -> list[IntegrationEvent]:
        signal, ind = evaluation.long, evaluation.indicators
        assert ind is not None and signal.stop is not None
        notional = entry_notional(
            equity=bot["equity_usd"],
            adx=ind.adx,
            score=signal.score,
            risk_level=bot["risk_level"],
            max_position=bot["max_position_usd"],
        )
        quantity = quantity_for(notional, bar.close)
        if quantity <= 0:
            return []
        intent_id = entry_intent_id(bot["user_id"], key, bar)
        position_id = uuid.uuid5(_IDS, f"position:{intent_id}")
        opened = await self._positions.insert(
            conn,
            NewPosition(
                id=position_id,
                user_id=bot["user_id"],
                venue=key.venue,
                symbol=key.symbol,
                timeframe=key.timeframe,
                entry_intent_id=intent_id,
                planned_quantity=quantity,
                stop=signal.stop,
                planned_risk=bar.close - signal.stop,
                targets=signal.targets,
                opened_at=at,
            ),
        )
        intent = NewIntent(
            intent_id=intent_id,
            user_id=bot["user_id"],
            position_id=position_id,
            kind="entry",
            side="buy",
            quantity=quantity,
        )
        if not opened or not await self._intents.insert(conn, intent, at):
            return []
        detail = {
            "signal": msgspec.to_builtins(signal),
            "indicators": msgspec.to_builtins(ind),
            "notional": notional,
            "quantity": quantity,
        }
        await self._record(conn, key, bar, bot["user_id"], "entry", detail, [intent_id], at)
        await self._bots.signalled(conn, bot["user_id"], at)
        return [_submitted(intent, key)]

    async def _record(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        user_id: str,
        action: str,
        detail: dict[str, Any],
        order_ids: list[uuid.UUID],
        at: Any,
    ) -> None:
        signal = NewSignal(
            user_id=user_id,
            venue=key.venue,
            symbol=key.symbol,
            timeframe=key.timeframe,
            bar_start=bar.start,
            action=action,
            detail=msgspec.to_builtins(detail),
            order_ids=[str(i) for i in order_ids],
        )
        await self._signals.insert(conn, signal, at)


def _submitted(intent: NewIntent, key: BarKey) -> IntentSubmitted:
    return IntentSubmitted(
        intent_id=str(intent.intent_id),
        user_id=intent.user_id,
        symbol=key.symbol,
        side=intent.side,  # type: ignore[arg-type]
        quantity=intent.quantity,
        signal=intent.kind,  # type: ignore[arg-type]
        venue=key.venue,
    )

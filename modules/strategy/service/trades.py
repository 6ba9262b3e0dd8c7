"""Writing what the bots decided on one closed bar, all bots at once.

Each bot's step (domain/bar_step.py) is decided first; then one multi-row statement per table
writes every new position, every intent, every moved guard and every signal of the bar, and
their events go to the outbox with them: `IntentSubmitted` for each intent, `SignalRecorded` for
each signal and `BotPositionChanged` for each position whose stop or targets moved. A crash
loses none of it, and a bar evaluated again finds the intents' deterministic ids already stored
and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from modules.kernel.events import IntegrationEvent
from modules.strategy.domain.apex import Evaluation, Signal
from modules.strategy.domain.bar_step import NewEntry, Step
from modules.strategy.domain.bars import Bar, BarKey
from modules.strategy.repository.intents import IntentRepository, NewIntent
from modules.strategy.repository.positions import GuardUpdate, PositionRepository
from modules.strategy.repository.signals import NewSignal, SignalRepository
from modules.strategy.service.publishing import (
    intent_submitted,
    position_changed,
    signal_recorded,
)

_encode = msgspec.json.Encoder().encode


def held(signal: Signal) -> list[str]:
    """The names of the filters and conditions that held."""
    return [k for k, ok in signal.filter.items() if ok] + [
        k for k, ok in signal.conditions.items() if ok
    ]


class _Bar(msgspec.Struct, kw_only=True):
    """What every bot's record of this bar shares, encoded once."""

    key: BarKey
    bar: Bar
    evaluation: Evaluation
    at: datetime
    verdict: str = ""  # the entry signal and indicators, as every entry's detail shares them


class Trades:
    def __init__(
        self,
        positions: PositionRepository,
        intents: IntentRepository,
        signals: SignalRepository,
    ) -> None:
        self._positions = positions
        self._intents = intents
        self._signals = signals

    async def apply(
        self,
        conn: asyncpg.Connection,
        key: BarKey,
        bar: Bar,
        evaluation: Evaluation,
        steps: Sequence[Step],
        at: datetime,
    ) -> list[IntegrationEvent]:
        """Write the bots' steps on this bar; the events to publish with them."""
        shared = _Bar(key=key, bar=bar, evaluation=evaluation, at=at)
        entries = [s.entry for s in steps if s.entry is not None]
        if entries:
            opened = await self._positions.insert_many(conn, key, entries, at)
            entries = [e for e in entries if e.position_id in opened]
        wanted = [_entry_intent(e, key) for e in entries] + [
            NewIntent(
                intent_id=o.intent_id,
                user_id=s.user_id,
                position_id=s.position.id,
                kind=s.exit.kind,
                side="sell",
                quantity=o.quantity,
                venue=o.venue,
            )
            for s in steps
            if s.exit is not None and s.position is not None
            for o in s.exit.orders
        ]
        recorded = await self._intents.insert_many(conn, wanted, at)
        moved = await self._save_guards(conn, steps, recorded)
        sent = [i for i in wanted if i.intent_id in recorded]
        signals = [*self._entry_signals(shared, entries, recorded)]
        signals += self._exit_signals(shared, steps, recorded)
        ids = await self._signals.insert_many(
            conn,
            key,
            bar.start,
            [signal for signal, _event in signals],
            at,
            verdict=shared.verdict or None,
        )
        events: list[IntegrationEvent] = [intent_submitted(i, key.symbol, at) for i in sent]
        events += [
            signal_recorded(signal_id, user_id=signal.user_id, **event)
            for signal_id, (signal, event) in zip(ids, signals, strict=True)
        ]
        events += [position_changed(row, at) for row in moved]
        return events

    async def _save_guards(
        self, conn: asyncpg.Connection, steps: Sequence[Step], recorded: set[Any]
    ) -> list[dict[str, Any]]:
        updates: list[GuardUpdate] = []
        for s in steps:
            position = s.position
            if position is None or position.guard is None or (s.guard is None and s.exit is None):
                continue
            guard = s.guard or position.guard
            sent = s.exit is not None and s.exit.orders[0].intent_id in recorded
            before = position.guard
            updates.append(
                GuardUpdate(
                    position_id=position.id,
                    guard=guard,
                    visible=(guard.stop, guard.targets, guard.targets_hit, guard.trailing)
                    != (before.stop, before.targets, before.targets_hit, before.trailing),
                    exit_in_flight=s.exit.orders[0].intent_id if sent and s.exit else None,
                    exit_attempts=position.exit_attempts + (1 if sent else 0),
                )
            )
        return await self._positions.save_guards(conn, updates) if updates else []

    def _entry_signals(
        self, shared: _Bar, entries: list[NewEntry], recorded: set[Any]
    ) -> list[tuple[NewSignal, dict[str, Any]]]:
        entries = [e for e in entries if e.intent_id in recorded]
        if not entries:
            return []
        long, ind = shared.evaluation.long, shared.evaluation.indicators
        # A bar's entries share the signal and indicators: stored once, as the bar's verdict.
        shared.verdict = _encode({"signal": long, "indicators": ind}).decode()
        conditions = held(long)
        out = []
        for e in entries:
            intent_ids = [str(e.intent_id)]
            record = NewSignal(
                user_id=e.user_id,
                action="entry",
                detail=msgspec.Raw(
                    f'{{"notional":"{e.notional}","quantity":"{e.quantity}"}}'.encode()
                ),
                order_ids=intent_ids,
                shares_verdict=True,
            )
            event = _signal_fields(
                shared, "entry", long.score, conditions, e.stop, e.targets, intent_ids
            )
            out.append((record, event))
        return out

    def _exit_signals(
        self, shared: _Bar, steps: Sequence[Step], recorded: set[Any]
    ) -> list[tuple[NewSignal, dict[str, Any]]]:
        out = []
        evaluation = shared.evaluation
        for s in steps:
            exit_, position = s.exit, s.position
            if exit_ is None or position is None or exit_.orders[0].intent_id not in recorded:
                continue
            guard = s.guard or position.guard
            assert guard is not None
            detail: dict[str, Any]
            score = None
            if exit_.kind == "exit":
                detail = {"reason": exit_.reason, "short": evaluation.short}
                conditions = [exit_.reason or "exit"]
                if exit_.reason == "opposite_signal":
                    conditions += held(evaluation.short)
                    score = evaluation.short.score
            else:
                detail = {"level": exit_.level, "guard": guard}
                reached = f"target_{guard.targets_hit}" if exit_.kind == "profit_take" else "stop"
                conditions = [f"{reached}_reached"]
            intent_ids = [str(o.intent_id) for o in exit_.orders]
            record = NewSignal(
                user_id=s.user_id,
                action=exit_.kind,
                detail=msgspec.Raw(_encode(detail)),
                order_ids=intent_ids,
            )
            event = _signal_fields(
                shared, exit_.kind, score, conditions, guard.stop, guard.targets, intent_ids
            )
            out.append((record, event))
        return out


def _signal_fields(
    shared: _Bar,
    action: str,
    score: int | None,
    conditions: list[str],
    stop: Decimal | None,
    targets: list[Decimal],
    intent_ids: list[str],
) -> dict[str, Any]:
    return {
        "key": shared.key,
        "bar_start": shared.bar.start,
        "action": action,
        "score": score,
        "conditions": conditions,
        "stop": stop,
        "targets": targets,
        "intent_ids": intent_ids,
        "at": shared.at,
    }


def _entry_intent(entry: NewEntry, key: BarKey) -> NewIntent:
    return NewIntent(
        intent_id=entry.intent_id,
        user_id=entry.user_id,
        position_id=entry.position_id,
        kind="entry",
        side="buy",
        quantity=entry.quantity,
        venue=key.venue,
    )

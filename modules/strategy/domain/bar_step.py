"""What one bot does on one closed bar, decided without I/O: protect its open position (stop,
targets, trailing), exit on an opposite signal or an EMA9/21 cross, or enter on an APEX signal.

The evaluator decides every bot's step first and writes them all at once (a few multi-row
statements per bar, not a few statements per bot), so this is where the per-bot rules live.
Order ids are derived from the position and the step, so a bar evaluated twice (a crash, a
redelivery, another replica) asks for the same orders and the store keeps them once.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import datetime
from decimal import Decimal

import msgspec

from modules.strategy.domain import protection
from modules.strategy.domain.apex import Evaluation
from modules.strategy.domain.bars import Bar, BarKey
from modules.strategy.domain.sizing import entry_notional, quantity_for

_IDS = uuid.UUID("9d3c1f0e-4b7a-4e21-8f6d-2a5b7c9e0d13")
_IDS_SHA1 = hashlib.sha1(_IDS.bytes, usedforsecurity=False)
# Exit kinds as a closed position states its reason (the entry's never closes one).
CLOSE_REASONS = {"stop_loss": "stop_loss", "profit_take": "take_profit", "exit": "exit_signal"}


def _id(name: str) -> uuid.UUID:
    """`uuid.uuid5(_IDS, name)`, from the namespace's hash state (a thousand bots a bar)."""
    digest = _IDS_SHA1.copy()
    digest.update(name.encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


@functools.lru_cache(maxsize=64)
def _bar_name(key: BarKey, start: datetime) -> str:
    return f"{key.venue}:{key.symbol}:{key.timeframe}:{start}"


def entry_intent_id(user_id: str, key: BarKey, bar: Bar) -> uuid.UUID:
    """The entry's order id, which is also its position's id."""
    return _id(f"entry:{user_id}:{_bar_name(key, bar.start)}")


def exit_intent_id(position_id: uuid.UUID, attempt: int, venue: str, first: bool) -> uuid.UUID:
    """The exit's order id where it sells: one venue (the usual case) keeps the step's own id."""
    step = f"exit:{position_id}:{attempt}"
    return _id(step if first else f"{step}:{venue}")


class BotState(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    equity: Decimal  # what entries are sized on: the venue account's, else the trader's figure
    risk_level: str
    max_position_usd: Decimal


class PositionState(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    user_id: str
    venue: str  # the bot's venue, whose bars protect the position
    status: str  # pending (entry in flight, nothing filled) or open
    guard: protection.Guard | None  # None while pending
    exit_in_flight: bool
    exit_attempts: int
    held: dict[str, Decimal]  # where the entry's fills are, less what exits sold there


class NewEntry(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    position_id: uuid.UUID
    intent_id: uuid.UUID
    notional: Decimal
    quantity: Decimal
    stop: Decimal
    planned_risk: Decimal
    targets: list[Decimal]


class ExitOrder(msgspec.Struct, frozen=True, kw_only=True):
    intent_id: uuid.UUID
    venue: str
    quantity: Decimal


class NewExit(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # stop_loss, profit_take or exit
    orders: list[ExitOrder]
    level: Decimal | None = None  # the stop or target reached; None for a signal's exit
    reason: str | None = None  # a signal's exit: opposite_signal or ema_cross


class Step(msgspec.Struct, frozen=True, kw_only=True):
    user_id: str
    position: PositionState | None = None
    entry: NewEntry | None = None
    guard: protection.Guard | None = None  # the position's guard after the bar, when it moved
    exit: NewExit | None = None


def allocate(quantity: Decimal, held: dict[str, Decimal], home: str) -> list[tuple[str, Decimal]]:
    """Where to sell `quantity`: from the venues holding the most first (spot holdings can only
    be sold where they are); all of it at the bot's venue when no fill said otherwise."""
    venues = sorted(((q, v) for v, q in held.items() if q > 0), key=lambda p: (-p[0], p[1]))
    if not venues:
        return [(home, quantity)]
    left, out = quantity, []
    for have, venue in venues:
        take = min(have, left)
        if take > 0:
            out.append((venue, take))
            left -= take
    if left > 0:  # the fills say less than the guard does: the rest where most was held
        out[0] = (out[0][0], out[0][1] + left)
    return out


def may_act(evaluation: Evaluation, bot: BotState | None, position: PositionState | None) -> bool:
    """Whether the bot can do anything on this bar: protect (and maybe exit) its open position,
    or enter on a signal. Most bars, most bots do nothing."""
    if position is not None:
        return position.status == "open"
    return bot is not None and evaluation.long.action == "entry"


def step(
    evaluation: Evaluation,
    key: BarKey,
    bar: Bar,
    bot: BotState | None,
    position: PositionState | None,
) -> Step | None:
    """The bot's step on this bar, or None when it has nothing to do or write."""
    if position is not None:
        if position.status != "open" or position.guard is None:
            return None
        return _protect(evaluation, bar, bot, position)
    if bot is not None and evaluation.long.action == "entry":
        return _enter(evaluation, key, bar, bot)
    return None


def _protect(
    evaluation: Evaluation, bar: Bar, bot: BotState | None, position: PositionState
) -> Step | None:
    guard = position.guard
    assert guard is not None
    atr = None if evaluation.indicators is None else evaluation.indicators.atr
    moved = protection.on_bar(guard, bar, atr, exit_in_flight=position.exit_in_flight)
    changed = moved.guard if moved.guard != guard else None
    if moved.exit is not None:
        exit_ = _exit(position, moved.exit.kind, moved.exit.quantity, level=moved.exit.price)
        return Step(user_id=position.user_id, position=position, guard=moved.guard, exit=exit_)
    wants_out = bot is not None and evaluation.exit_long is not None
    if wants_out and not position.exit_in_flight and moved.guard.remaining > 0:
        exit_ = _exit(position, "exit", moved.guard.remaining, reason=evaluation.exit_long)
        return Step(user_id=position.user_id, position=position, guard=moved.guard, exit=exit_)
    if changed is None:
        return None
    return Step(user_id=position.user_id, position=position, guard=changed)


def _exit(
    position: PositionState,
    kind: str,
    quantity: Decimal,
    *,
    level: Decimal | None = None,
    reason: str | None = None,
) -> NewExit:
    attempt = position.exit_attempts
    places = allocate(quantity, position.held, position.venue)
    orders = [
        ExitOrder(
            intent_id=exit_intent_id(position.id, attempt, venue, first=i == 0),
            venue=venue,
            quantity=q,
        )
        for i, (venue, q) in enumerate(places)
    ]
    return NewExit(kind=kind, orders=orders, level=level, reason=reason)


def _enter(evaluation: Evaluation, key: BarKey, bar: Bar, bot: BotState) -> Step | None:
    signal, ind = evaluation.long, evaluation.indicators
    assert ind is not None and signal.stop is not None
    notional = entry_notional(
        equity=bot.equity,
        adx=ind.adx,
        score=signal.score,
        risk_level=bot.risk_level,
        max_position=bot.max_position_usd,
    )
    quantity = quantity_for(notional, bar.close)
    if quantity <= 0:
        return None
    intent_id = entry_intent_id(bot.user_id, key, bar)
    entry = NewEntry(
        user_id=bot.user_id,
        position_id=intent_id,
        intent_id=intent_id,
        notional=notional,
        quantity=quantity,
        stop=signal.stop,
        planned_risk=bar.close - signal.stop,
        targets=signal.targets,
    )
    return Step(user_id=bot.user_id, entry=entry)

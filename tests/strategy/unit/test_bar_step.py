"""A bot's step on a bar: enter on a signal sized on its equity, protect an open position, exit
on a signal, and sell where the position is held."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import msgspec

from modules.strategy.domain import apex
from modules.strategy.domain.bar_step import (
    BotState,
    PositionState,
    allocate,
    entry_intent_id,
    exit_intent_id,
    may_act,
    step,
)
from modules.strategy.domain.bars import BarKey
from modules.strategy.domain.protection import Guard
from modules.strategy.domain.sizing import entry_notional, quantity_for
from tests.strategy.series import bar, entry_series, uptrend

KEY = BarKey("binance", "SOL/USD", "5m")


def bot(equity: int = 10_000) -> BotState:
    return BotState(user_id="u1", equity=D(equity), risk_level="high", max_position_usd=D(10**6))


def held_position(**fields: object) -> PositionState:
    guard = Guard(
        entry_price=D(100),
        quantity=D(2),
        exited=D(0),
        stop=D(95),
        targets=[D(105), D(110), D(115)],
    )
    values: dict[str, object] = {
        "id": uuid.UUID(int=7),
        "user_id": "u1",
        "venue": "binance",
        "status": "open",
        "guard": guard,
        "exit_in_flight": False,
        "exit_attempts": 0,
        "held": {"binance": D(2)},
    }
    values.update(fields)
    return msgspec.convert(values, PositionState, from_attributes=True)


def test_sells_from_the_venues_holding_most_and_at_home_when_none_is_known() -> None:
    held = {"coinbase": D("0.3"), "binance": D("0.7"), "kraken": D(0)}
    assert allocate(D("0.5"), held, "binance") == [("binance", D("0.5"))]
    assert allocate(D(1), held, "binance") == [("binance", D("0.7")), ("coinbase", D("0.3"))]
    assert allocate(D("0.4"), {}, "binance") == [("binance", D("0.4"))]
    # More than the fills say (the guard rounds differently): the rest where most is held.
    assert allocate(D("1.1"), held, "kraken") == [("binance", D("0.8")), ("coinbase", D("0.3"))]


def test_an_entry_is_sized_on_the_bots_equity_with_ids_from_the_bar() -> None:
    series = entry_series()
    evaluation = apex.evaluate(series)
    assert evaluation.long.action == "entry" and evaluation.indicators is not None
    for equity in (10_000, 50_000):
        decided = step(evaluation, KEY, series[-1], bot(equity), None)
        assert decided is not None and decided.entry is not None
        entry = decided.entry
        notional = entry_notional(
            equity=D(equity),
            adx=evaluation.indicators.adx,
            score=evaluation.long.score,
            risk_level="high",
            max_position=D(10**6),
        )
        assert (entry.notional, entry.quantity) == (
            notional,
            quantity_for(notional, series[-1].close),
        )
        assert entry.intent_id == entry_intent_id("u1", KEY, series[-1])
        assert entry.position_id == entry.intent_id  # the position is known by its entry
        assert entry.intent_id.version == 5
        name = f"entry:u1:binance:SOL/USD:5m:{series[-1].start}"
        assert entry.intent_id == uuid.uuid5(
            uuid.UUID("9d3c1f0e-4b7a-4e21-8f6d-2a5b7c9e0d13"), name
        )
        assert entry.stop == evaluation.long.stop and entry.targets == evaluation.long.targets


def test_a_quiet_bar_and_a_pending_position_do_nothing() -> None:
    series = uptrend()
    evaluation = apex.evaluate(series)
    assert evaluation.long.action != "entry"
    assert not may_act(evaluation, bot(), None)
    assert step(evaluation, KEY, series[-1], bot(), None) is None
    pending = held_position(status="pending", guard=None)
    assert not may_act(evaluation, bot(), pending)


def test_the_stop_sells_everything_left_where_it_is_held() -> None:
    evaluation = apex.evaluate(uptrend())
    position = held_position(held={"binance": D("0.5"), "coinbase": D("1.5")}, exit_attempts=2)
    decided = step(evaluation, KEY, bar(99, 96, 96.5, 94, 94.5), None, position)
    assert decided is not None and decided.exit is not None
    assert decided.exit.kind == "stop_loss" and decided.exit.level == D(95)
    orders = [(o.venue, o.quantity) for o in decided.exit.orders]
    assert orders == [("coinbase", D("1.5")), ("binance", D("0.5"))]
    # The first venue keeps the step's own id; each order's id is stable for the attempt.
    assert decided.exit.orders[0].intent_id == exit_intent_id(position.id, 2, "coinbase", True)
    assert decided.exit.orders[1].intent_id == exit_intent_id(position.id, 2, "binance", False)
    again = step(evaluation, KEY, bar(99, 96, 96.5, 94, 94.5), None, position)
    assert again == decided


def test_a_target_moves_the_stop_and_nothing_new_goes_out_while_an_exit_is_in_flight() -> None:
    evaluation = apex.evaluate(uptrend())
    target_bar = bar(99, 104, 106, 103, 105.5)
    decided = step(evaluation, KEY, target_bar, None, held_position())
    assert decided is not None and decided.exit is not None and decided.guard is not None
    assert decided.exit.kind == "profit_take" and decided.exit.orders[0].quantity == 1
    assert decided.guard.targets_hit == 1 and decided.guard.stop >= 100 and decided.guard.trailing
    busy = held_position(exit_in_flight=True)
    assert step(evaluation, KEY, bar(99, 96, 96.5, 94, 94.5), bot(), busy) is None


def test_a_signal_exit_is_the_running_bots_only() -> None:
    evaluation = msgspec.structs.replace(apex.evaluate(uptrend()), exit_long="ema_cross")
    calm = bar(99, 100, 101, 99, 100)
    assert step(evaluation, KEY, calm, None, held_position()) is None  # a stopped bot holds
    decided = step(evaluation, KEY, calm, bot(), held_position())
    assert decided is not None and decided.exit is not None
    assert (decided.exit.kind, decided.exit.reason) == ("exit", "ema_cross")
    assert [(o.venue, o.quantity) for o in decided.exit.orders] == [("binance", D(2))]

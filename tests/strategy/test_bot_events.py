"""What the bot tells other modules: `SignalRecorded` for every signal it records, and
`BotPositionChanged` for every change of its positions readers see (opened at the fill's price,
its stop raised, a target taken, closed and why), each with a growing version. Taken off the
bus, checked against the bot's own view and execution's fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modules.execution.contracts import OrderFilled
from modules.strategy.contracts import BotPositionChanged, IntentSubmitted, SignalRecorded
from modules.strategy.domain.apex import TARGET_R
from tests.conftest import RunningApp
from tests.routing.support import Tap, Trader
from tests.strategy.bot_support import (
    SYMBOL,
    VENUE,
    bot,
    close_bar,
    entered,
    open_position,
    price_bar,
    signals,
    wait_for,
)

TOPICS = (SignalRecorded.TOPIC, BotPositionChanged.TOPIC, IntentSubmitted.TOPIC, OrderFilled.TOPIC)


def changes(tap: Tap, trader: Trader) -> list[BotPositionChanged]:
    return sorted(tap.of(BotPositionChanged, user_id=trader.user_id), key=lambda e: e.version)


async def closed(running: RunningApp, tap: Tap, trader: Trader) -> BotPositionChanged:
    async def done() -> bool:
        return any(e.status == "closed" for e in changes(tap, trader))

    await wait_for(running, done)
    [last] = [e for e in changes(tap, trader) if e.status == "closed"]
    return last


async def opened_with_events(running: RunningApp) -> tuple[Trader, Any, Tap, BotPositionChanged]:
    tap = Tap().attach(running, *TOPICS)
    trader, series = await entered(running)
    await open_position(running, trader)
    [opened] = changes(tap, trader)
    return trader, series, tap, opened


async def test_a_positions_life_comes_out_as_signals_and_versioned_changes(
    running: RunningApp,
) -> None:
    trader, series, tap, opened = await opened_with_events(running)
    view = (await bot(running, trader))["open_positions"][0]
    [entry_intent] = tap.of(IntentSubmitted, user_id=trader.user_id)
    [listed] = await signals(running, trader)
    [entry_signal] = tap.of(SignalRecorded, user_id=trader.user_id)
    detail = listed["detail"]["signal"]
    assert entry_signal.signal_id == str(listed["id"])
    assert (entry_signal.action, entry_signal.side, entry_signal.score) == ("entry", "buy", 4)
    assert (entry_signal.venue, entry_signal.symbol, entry_signal.timeframe) == (
        VENUE,
        SYMBOL,
        "5m",
    )
    assert entry_signal.bar_start == series[-1].start
    assert set(entry_signal.conditions) == {k for k, ok in detail["filter"].items() if ok} | {
        k for k, ok in detail["conditions"].items() if ok
    }
    assert len(entry_signal.conditions) == 5 + 4  # every filter, and 4 of 5 conditions
    assert entry_signal.stop == Decimal(detail["stop"])
    assert entry_signal.targets == [Decimal(t) for t in detail["targets"]]
    assert entry_signal.intent_ids == [entry_intent.intent_id]

    fill = max(
        tap.of(OrderFilled, order_id=entry_intent.intent_id), key=lambda f: f.filled_quantity
    )
    assert fill.status == "filled"
    risk = fill.average_price - opened.stop
    assert (opened.status, opened.version, opened.targets_hit, opened.trailing) == (
        "open",
        1,
        0,
        False,
    )
    assert opened.bot_position_id == view["id"] and opened.venue == VENUE
    assert opened.entry_intent_id == entry_intent.intent_id and opened.close_reason is None
    assert opened.entry_price == fill.average_price == Decimal(view["entry_price"])
    assert opened.quantity == fill.filled_quantity == Decimal(view["quantity"])
    assert opened.stop == entry_signal.stop == Decimal(view["stop"])
    assert opened.targets == [fill.average_price + r * risk for r in TARGET_R]

    # The first target: half is sold, the stop goes to break-even and then trails.
    t1 = opened.targets[0]
    await close_bar(running, price_bar(len(series), t1 * Decimal("0.999"), t1 + 1, t1))

    async def half_sold() -> bool:
        positions = (await bot(running, trader))["open_positions"]
        return Decimal(positions[0]["remaining"]) < opened.quantity

    await wait_for(running, half_sold)
    _, raised = changes(tap, trader)
    assert (raised.version, raised.status, raised.targets_hit, raised.trailing) == (
        2,
        "open",
        1,
        True,
    )
    assert raised.stop >= opened.entry_price  # at least break-even
    assert raised.quantity == opened.quantity and raised.targets == opened.targets

    # The stop: everything left is sold, and the position closes once.
    breach = raised.stop - 2
    await close_bar(running, price_bar(len(series) + 1, breach - 1, breach + 1, breach))
    last = await closed(running, tap, trader)
    assert (last.version, last.close_reason, last.quantity) == (3, "stop_loss", opened.quantity)
    assert [e.version for e in changes(tap, trader)] == [1, 2, 3]
    intents = tap.of(IntentSubmitted, user_id=trader.user_id)
    assert [i.signal for i in intents] == ["entry", "profit_take", "stop_loss"]
    # Half the entry, cut to the venue's quantity step (an odd last unit cannot be halved).
    assert abs(intents[1].quantity - opened.quantity / 2) <= Decimal("0.00000001")
    recorded = tap.of(SignalRecorded, user_id=trader.user_id)
    assert [(s.action, s.side) for s in recorded] == [
        ("entry", "buy"),
        ("profit_take", "sell"),
        ("stop_loss", "sell"),
    ]
    assert recorded[1].conditions == ["target_1_reached"]
    assert recorded[1].intent_ids == [intents[1].intent_id]
    assert recorded[2].conditions == ["stop_reached"] and recorded[2].stop == raised.stop
    assert [r.signal_id for r in recorded] == [
        str(s["id"]) for s in reversed(await signals(running, trader))
    ]
    assert not (await bot(running, trader))["open_positions"]


async def test_the_last_target_closes_it_as_take_profit(running: RunningApp) -> None:
    trader, series, tap, opened = await opened_with_events(running)
    top = opened.targets[-1]
    close = opened.entry_price
    await close_bar(running, price_bar(len(series), close, top + 1, top))
    last = await closed(running, tap, trader)
    assert last.close_reason == "take_profit" and last.targets_hit == 3
    [take] = [i for i in tap.of(IntentSubmitted, user_id=trader.user_id) if i.signal != "entry"]
    assert take.signal == "profit_take" and take.quantity == opened.quantity


async def test_an_ema_cross_closes_it_as_an_exit_signal(running: RunningApp) -> None:
    trader, series, tap, opened = await opened_with_events(running)
    price, step = series[-1].close, series[-1].close * Decimal("0.0027")
    for k in range(12):
        low = price - step - step / 6
        assert low > opened.stop, "the decline must stay above the stop"
        await close_bar(running, price_bar(len(series) + k, low, price + step / 6, price - step))
        price -= step
        if any(e.status == "closed" for e in changes(tap, trader)):
            break
    last = await closed(running, tap, trader)
    assert last.close_reason == "exit_signal"
    [exit_signal] = [
        s for s in tap.of(SignalRecorded, user_id=trader.user_id) if s.action == "exit"
    ]
    assert exit_signal.conditions == ["ema_cross"] and exit_signal.side == "sell"


async def test_a_close_the_bot_did_not_order_closes_it_as_manual(running: RunningApp) -> None:
    trader, _series, tap, opened = await opened_with_events(running)
    [held] = [
        p
        for p in (await running.client.get("/v1/positions", headers=trader.headers)).json()
        if p["symbol"] == SYMBOL
    ]
    response = await running.client.post(
        f"/v1/positions/{held['position_id']}/close", headers=trader.headers
    )
    assert response.status_code == 202, response.text
    last = await closed(running, tap, trader)
    assert last.close_reason == "manual" and last.version == opened.version + 1
    assert not (await bot(running, trader))["open_positions"]

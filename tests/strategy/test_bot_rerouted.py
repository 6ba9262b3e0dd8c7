"""A bot's order that routing re-routes or splits still moves the bot's position.

Routing sends an intent under its own id; a venue fault re-routes it to another venue under an
attempt id, a TWAP or a split sends children under ids of their own (`OrderRouted` names the
intent as their original or parent order). The bot's position opens on those orders' fills,
knows where they were made, and its exits sell there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from modules.execution.contracts import OrderFilled, OrderRejected
from modules.routing.contracts import OrderRouted
from modules.strategy.contracts import BotPositionChanged, IntentSubmitted
from tests.conftest import RunningApp, serve, truncate_all
from tests.execution.support import routed, rows, set_faults
from tests.routing.support import Tap, Trader, announce, connect, fill_event, new_trader
from tests.strategy.bot_support import (
    SYMBOL,
    VENUE,
    bot,
    close_bar,
    entered,
    open_position,
    price_bar,
    wait_for,
    warm_up,
    warm_up_at,
)


def changes(tap: Tap, trader: Trader) -> list[BotPositionChanged]:
    return sorted(tap.of(BotPositionChanged, user_id=trader.user_id), key=lambda e: e.version)


async def stop_out(running: RunningApp, tap: Tap, trader: Trader, index: int) -> Any:
    """Close a bar through the position's stop; the position's last change once closed."""
    [position] = (await bot(running, trader))["open_positions"]
    breach = Decimal(position["stop"]) - 2
    await close_bar(running, price_bar(index, breach - 1, breach + 1, breach))

    async def closed() -> bool:
        return any(e.status == "closed" for e in changes(tap, trader))

    await wait_for(running, closed)
    [last] = [e for e in changes(tap, trader) if e.status == "closed"]
    return last


async def test_an_entry_failed_over_to_another_venue_opens_and_exits_there(
    running: RunningApp,
) -> None:
    tap = Tap().attach(
        running,
        BotPositionChanged.TOPIC,
        IntentSubmitted.TOPIC,
        OrderRouted.TOPIC,
        OrderFilled.TOPIC,
    )
    rejected = Tap().attach(running, OrderRejected.TOPIC)
    await set_faults(running, VENUE, error_rate=1.0)  # the bot's venue answers 503
    trader, series = await entered(running, venues=(VENUE, "coinbase"))
    position = await open_position(running, trader)

    [entry] = tap.of(IntentSubmitted, user_id=trader.user_id)
    attempts = sorted(
        tap.of(OrderRouted, original_order_id=entry.intent_id), key=lambda r: r.attempt
    )
    assert [(r.attempt, r.venue) for r in attempts] == [(0, VENUE), (1, "coinbase")]
    assert [r.code for r in rejected.of(OrderRejected, order_id=entry.intent_id)] == [
        "venue_unavailable"
    ]
    [fill] = [f for f in tap.of(OrderFilled, order_id=attempts[1].order_id) if f.status == "filled"]
    [opened] = changes(tap, trader)
    assert (opened.venue, opened.entry_price, opened.quantity) == (
        "coinbase",
        fill.average_price,
        fill.filled_quantity,
    )
    assert Decimal(position["quantity"]) == fill.filled_quantity == entry.quantity
    assert (await bot(running, trader))["status"] == "running"  # the fault was re-routed

    await set_faults(running, VENUE, error_rate=0.0)
    last = await stop_out(running, tap, trader, len(series))
    assert last.close_reason == "stop_loss"
    [stop] = [i for i in tap.of(IntentSubmitted, user_id=trader.user_id) if i.signal != "entry"]
    assert (stop.signal, stop.venue, stop.quantity) == (
        "stop_loss",
        "coinbase",
        fill.filled_quantity,
    )
    held = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    assert {(p["venue"], p["status"], Decimal(p["quantity"])) for p in held} == {
        ("coinbase", "closed", Decimal(0))
    }


@pytest.fixture
async def twap(
    monkeypatch: pytest.MonkeyPatch, make_settings: Any, database_url: str
) -> AsyncIterator[RunningApp]:
    """The platform sending any order over 100 USD as two TWAP slices, a moment apart."""
    for name, value in {
        "TWAP_THRESHOLD_USD": "100",
        "TWAP_SLICES": "2",
        "TWAP_INTERVAL_SECONDS": "0.3",
        "TWAP_POLL_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(f"NIJA_ROUTING_{name}", value)
    await truncate_all(database_url)
    async with serve(create_app(make_settings())) as running_app:
        yield running_app


async def test_an_entry_sent_as_twap_slices_opens_on_their_fills(twap: RunningApp) -> None:
    running = twap
    tap = Tap().attach(running, BotPositionChanged.TOPIC, IntentSubmitted.TOPIC, OrderFilled.TOPIC)
    routes = Tap().attach(running, OrderRouted.TOPIC)
    trader, _series = await entered(running)
    [entry] = tap.of(IntentSubmitted, user_id=trader.user_id)

    async def both_filled() -> bool:
        await asyncio.sleep(0.1)  # the second slice goes out an interval after the first
        slices = routes.of(OrderRouted, parent_order_id=entry.intent_id)
        fills = [f for s in slices for f in tap.of(OrderFilled, order_id=s.order_id)]
        return len(slices) == 2 and sum(f.status == "filled" for f in fills) == 2

    await wait_for(running, both_filled, rounds=60)

    async def grown() -> bool:
        return sum(e.quantity for e in changes(tap, trader)[-1:]) == entry.quantity

    await wait_for(running, grown)
    slices = routes.of(OrderRouted, parent_order_id=entry.intent_id)
    assert entry.intent_id not in {s.order_id for s in slices}  # only the children trade
    fills = {
        s.order_id: max(tap.of(OrderFilled, order_id=s.order_id), key=lambda f: f.filled_quantity)
        for s in slices
    }
    bought = sum(f.filled_quantity for f in fills.values())
    paid = sum(f.filled_quantity * f.average_price for f in fills.values())
    versions = changes(tap, trader)
    assert [e.version for e in versions] == list(range(1, len(versions) + 1))
    assert versions[0].quantity < entry.quantity  # opened on the first slice's fill
    assert (versions[-1].quantity, versions[-1].entry_price) == (bought, paid / bought)
    [position] = (await bot(running, trader))["open_positions"]
    assert position["status"] == "open" and Decimal(position["quantity"]) == entry.quantity


@pytest.fixture
async def without_routing(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """Strategy and execution only: the test plays routing at the event seam."""
    await truncate_all(database_url)
    app = create_app(make_settings(modules=("execution", "strategy")))
    async with serve(app) as running_app:
        yield running_app


def _route(
    trader: Trader, intent: IntentSubmitted, venue: str, quantity: Decimal, **ids: Any
) -> Any:
    return routed(
        trader,
        venue,
        symbol=SYMBOL,
        side=intent.side,
        quantity=quantity,
        signal=intent.signal,
        expected_price=Decimal(150),
        **ids,
    )


async def test_an_entry_split_across_venues_exits_from_each_venue(
    without_routing: RunningApp,
) -> None:
    running = without_routing
    tap = Tap().attach(running, BotPositionChanged.TOPIC, IntentSubmitted.TOPIC)
    series = await warm_up(running)
    trader = new_trader(running)
    await connect(running, trader, (VENUE, "coinbase"))
    body = {"venue": VENUE, "pairs": [SYMBOL], "timeframe": "5m", "max_position_usd": "900"}
    assert (await running.client.put("/v1/bot", json=body, headers=trader.headers)).is_success
    assert (await running.client.post("/v1/bot/start", headers=trader.headers)).is_success
    await close_bar(running, series[-1])
    [entry] = tap.of(IntentSubmitted, user_id=trader.user_id)

    # Routing splits the entry: two children, a venue each, under ids of their own.
    first = (entry.quantity / 3).quantize(Decimal("0.00000001"))
    parts = {VENUE: first, "coinbase": entry.quantity - first}
    await announce(
        running,
        *(
            _route(trader, entry, venue, q, parent_order_id=entry.intent_id)
            for venue, q in parts.items()
        ),
    )
    position = await open_position(running, trader)

    async def both_in() -> bool:
        return Decimal((await bot(running, trader))["open_positions"][0]["quantity"]) == (
            entry.quantity
        )

    await wait_for(running, both_in)
    assert position["status"] == "open"
    [stored] = await rows(
        running,
        "SELECT held, entry_venue FROM strategy.positions WHERE user_id = $1",
        trader.user_id,
    )
    assert stored["entry_venue"] == "coinbase"  # where most of it was bought

    [pos] = (await bot(running, trader))["open_positions"]
    breach = Decimal(pos["stop"]) - 2
    await close_bar(running, price_bar(len(series), breach - 1, breach + 1, breach))

    async def stops_sent() -> bool:
        return len(tap.of(IntentSubmitted, user_id=trader.user_id, signal="stop_loss")) == 2

    await wait_for(running, stops_sent)
    stops = tap.of(IntentSubmitted, user_id=trader.user_id, signal="stop_loss")
    assert {(s.venue, s.quantity) for s in stops} == set(parts.items())
    # Routing sends each exit where it was asked to, under the intent's own id.
    await announce(
        running,
        *(
            _route(
                trader,
                s,
                s.venue,
                s.quantity,
                order_id=s.intent_id,
                client_order_id=f"nija-{uuid.UUID(s.intent_id).hex}",
            )
            for s in stops
        ),
    )

    async def closed() -> bool:
        return any(e.status == "closed" for e in changes(tap, trader))

    await wait_for(running, closed)
    [last] = [e for e in changes(tap, trader) if e.status == "closed"]
    assert (last.close_reason, last.quantity, last.venue) == (
        "stop_loss",
        entry.quantity,
        "coinbase",
    )
    held = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    assert {(p["venue"], Decimal(p["quantity"])) for p in held} == {
        (VENUE, Decimal(0)),
        ("coinbase", Decimal(0)),
    }
    assert not (await bot(running, trader))["open_positions"]


@pytest.fixture
async def strategy_alone(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """The strategy module alone: the test plays routing and execution at the event seam."""
    await truncate_all(database_url)
    async with serve(create_app(make_settings(modules=("strategy",)))) as running_app:
        yield running_app


async def test_a_fill_of_a_re_route_reported_before_its_route_still_opens_the_position(
    strategy_alone: RunningApp,
) -> None:
    running = strategy_alone
    tap = Tap().attach(running, BotPositionChanged.TOPIC, IntentSubmitted.TOPIC)
    series = await warm_up_at(running, Decimal(150))
    trader = new_trader(running)
    body = {"venue": VENUE, "pairs": [SYMBOL], "timeframe": "5m", "max_position_usd": "900"}
    assert (await running.client.put("/v1/bot", json=body, headers=trader.headers)).is_success
    assert (await running.client.post("/v1/bot/start", headers=trader.headers)).is_success
    await close_bar(running, series[-1])
    [entry] = tap.of(IntentSubmitted, user_id=trader.user_id)

    # The bot's venue fails the entry: its position has failed, for now.
    first = _route(trader_on(trader), entry, VENUE, entry.quantity, order_id=entry.intent_id)
    await announce(running, first, _rejected(first, "venue_unavailable"))
    [stored] = await rows(
        running, "SELECT status FROM strategy.positions WHERE user_id = $1", trader.user_id
    )
    assert stored["status"] == "failed"
    # Routing re-routes it; the other venue's fill reaches the bot before the route does.
    second = _route(
        trader_on(trader, "coinbase"),
        entry,
        "coinbase",
        entry.quantity,
        attempt=1,
        original_order_id=entry.intent_id,
    )
    await announce(running, fill_event(second, Decimal("150.5")))
    assert not tap.of(BotPositionChanged, user_id=trader.user_id)
    await announce(running, second)

    [opened] = tap.of(BotPositionChanged, user_id=trader.user_id)
    assert (opened.status, opened.venue, opened.quantity, opened.entry_price) == (
        "open",
        "coinbase",
        entry.quantity,
        Decimal("150.5"),
    )
    [position] = (await bot(running, trader))["open_positions"]
    assert position["status"] == "open"


def trader_on(trader: Trader, *venues: str) -> Trader:
    """The trader with a credential id per venue, as routing would name them."""
    for venue in venues or (VENUE,):
        trader.credentials.setdefault(venue, str(uuid.uuid4()))
    return trader


def _rejected(routed_order: Any, code: str) -> OrderRejected:
    return OrderRejected(
        order_id=routed_order.order_id,
        user_id=routed_order.user_id,
        venue=routed_order.venue,
        code=code,
        reason=f"{routed_order.venue} said {code}",
    )

"""What stops a bot, and what must not make it act twice.

A kill switch (the trader's, or everyone's with its close-all), a suspension and five venue
rejections in a row each pause the bot, say why in `GET /v1/bot` and publish
`BotStatusChanged`. A closed bar or a fill delivered again, under the same event id or another,
neither sends a second order nor counts an exit twice.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from app import create_app
from modules.execution.contracts import OrderFilled, OrderRejected
from modules.identity.contracts import UserSuspended
from modules.kernel.events import envelope_for
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged, IntentSubmitted
from tests.conftest import RunningApp, serve, truncate_all
from tests.execution.support import rows
from tests.routing.support import Tap, Trader, admin_headers, announce
from tests.strategy.bot_support import (
    bar_event,
    bot,
    close_bar,
    entered,
    open_position,
    price_bar,
    remember_bars,
    running_bot,
    scale,
    signals,
    wait_for,
    warm_up,
)
from tests.strategy.series import entry_series


async def paused_with(running: RunningApp, tap: Tap, trader: Trader, words: str) -> str:
    async def paused() -> bool:
        return (await bot(running, trader))["status"] == "paused"

    await wait_for(running, paused)
    reason: str = (await bot(running, trader))["paused_reason"]
    assert words in reason, reason
    [changed] = tap.of(BotStatusChanged, user_id=trader.user_id, status="paused")
    assert (changed.previous, changed.reason) == ("running", reason)
    return reason


async def test_the_traders_kill_switch_pauses_the_bot_and_says_so(running: RunningApp) -> None:
    tap = Tap().attach(running, BotStatusChanged.TOPIC)
    trader = await running_bot(running)
    halt = await running.client.post("/v1/settings/trading/kill-switch", headers=trader.headers)
    assert halt.status_code == 200, halt.text
    await paused_with(running, tap, trader, "kill switch (user, set by user)")
    refused = await running.client.post("/v1/bot/start", headers=trader.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "bot_halted"


async def test_the_global_kill_switch_pauses_every_bot_and_closes_their_positions(
    running: RunningApp,
) -> None:
    tap = Tap().attach(running, BotStatusChanged.TOPIC, BotPositionChanged.TOPIC)
    trader, _series = await entered(running)
    await open_position(running, trader)
    body = {"scope": "global", "active": True, "close_all_positions": True}
    halt = await running.client.post(
        "/v1/admin/kill-switch", json=body, headers=admin_headers(running)
    )
    assert halt.status_code == 200, halt.text
    await paused_with(running, tap, trader, "kill switch (global, set by admin)")

    async def closed() -> bool:
        return any(e.status == "closed" for e in tap.of(BotPositionChanged, user_id=trader.user_id))

    await wait_for(running, closed)
    [last] = [e for e in tap.of(BotPositionChanged, user_id=trader.user_id) if e.status == "closed"]
    assert last.close_reason == "kill_switch"
    assert not (await bot(running, trader))["open_positions"]


async def test_a_suspension_pauses_the_bot_and_says_why(running: RunningApp) -> None:
    tap = Tap().attach(running, BotStatusChanged.TOPIC)
    trader = await running_bot(running)
    await announce(running, UserSuspended(user_id=trader.user_id, reason="chargeback review"))
    await paused_with(running, tap, trader, "account suspended: chargeback review")


@pytest.fixture
async def poor(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """Paper wallets of 10 USD: the venue refuses any entry the bot sizes (insufficient funds),
    a refusal of the order, not an account error execution would pause the trader for."""
    await truncate_all(database_url)
    async with serve(create_app(make_settings(sim_paper_usd=Decimal(10)))) as running_app:
        yield running_app


async def test_five_venue_rejections_in_a_row_pause_the_bot(poor: RunningApp) -> None:
    running = poor
    tap = Tap().attach(running, BotStatusChanged.TOPIC, OrderRejected.TOPIC)
    trader = await running_bot(running)
    base = await scale(running)
    for attempt in range(5):
        assert (await bot(running, trader))["status"] == "running", f"paused after {attempt}"
        # A fresh entry a day later each time: the series' history, then its entry bar.
        series = [
            msgspec.structs.replace(b, start=b.start + timedelta(days=attempt))
            for b in entry_series(scale=base)
        ]
        await remember_bars(running, series[:-1])
        await close_bar(running, series[-1])
        await running.settle()
    rejected = tap.of(OrderRejected, user_id=trader.user_id)
    assert [r.code for r in rejected] == ["insufficient_funds"] * 5
    await paused_with(running, tap, trader, "5 venue rejections in a row")
    assert [s["action"] for s in await signals(running, trader)] == ["entry"] * 5


async def test_a_bar_delivered_again_sends_one_order(running: RunningApp) -> None:
    tap = Tap().attach(running, IntentSubmitted.TOPIC)
    series = await warm_up(running)
    trader = await running_bot(running)
    event = bar_event(series[-1])
    envelope = envelope_for(event, "execution")
    for _ in range(2):  # the bus delivers the same event twice
        await running.runtime.pubsub.publish(envelope)
    # Another replica (or a restarted one) publishes the same bar under another event id.
    await announce(running, msgspec.structs.replace(event, event_id="bar-again"))
    await open_position(running, trader)
    assert len(tap.of(IntentSubmitted, user_id=trader.user_id)) == 1
    assert len(await signals(running, trader)) == 1
    [count] = await rows(
        running, "SELECT count(*) AS n FROM strategy.positions WHERE user_id = $1", trader.user_id
    )
    assert count["n"] == 1


async def test_a_fill_delivered_again_counts_once(running: RunningApp) -> None:
    tap = Tap().attach(running, IntentSubmitted.TOPIC, OrderFilled.TOPIC, BotPositionChanged.TOPIC)
    trader, series = await entered(running)
    await open_position(running, trader)
    [opened] = tap.of(BotPositionChanged, user_id=trader.user_id)
    t1 = opened.targets[0]
    await close_bar(running, price_bar(len(series), t1 * Decimal("0.999"), t1 + 1, t1))

    async def half_sold() -> bool:
        position = (await bot(running, trader))["open_positions"][0]
        return Decimal(position["remaining"]) < opened.quantity

    await wait_for(running, half_sold)
    [take] = tap.of(IntentSubmitted, user_id=trader.user_id, signal="profit_take")
    fills = tap.of(OrderFilled, order_id=take.intent_id)
    before = (await bot(running, trader))["open_positions"][0]
    changes = len(tap.of(BotPositionChanged, user_id=trader.user_id))
    # The same fill again, and again under new event ids (a look-up reporting it anew).
    for fill in fills:
        await running.runtime.pubsub.publish(envelope_for(fill, "execution"))
        await announce(running, msgspec.structs.replace(fill, event_id=f"again-{fill.event_id}"))
    await running.settle()
    after = (await bot(running, trader))["open_positions"][0]
    assert after["remaining"] == before["remaining"] == str(opened.quantity - take.quantity)
    assert len(tap.of(BotPositionChanged, user_id=trader.user_id)) == changes
    [stored] = await rows(
        running,
        "SELECT filled_quantity FROM strategy.intents WHERE intent_id = $1::uuid",
        take.intent_id,
    )
    assert stored["filled_quantity"] == take.quantity
    assert len(tap.of(IntentSubmitted, user_id=trader.user_id)) == 2  # entry and target only

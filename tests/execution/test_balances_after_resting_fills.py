"""Balances move with every fill, not only a placement's: fills the open-orders round finds on
resting orders, and fills a cancel records, are followed by `BalanceChanged` for the account,
once per round, carrying what the paper wallet now holds."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

from modules.execution.contracts import BalanceChanged, OrderFilled
from modules.execution.domain.sim_market import build_levels
from modules.execution.domain.sim_regimes import next_segment
from modules.kernel.sealing import CredentialMaterial
from tests.conftest import RunningApp
from tests.execution.support import credential_with_key, execution, sim
from tests.routing.support import Tap, Trader, announce, new_trader, roomy
from tests.routing.test_order_cancel import SYMBOL, VENUE, cancel_round, order_of, place


async def trader_with_key(running: RunningApp) -> tuple[Trader, CredentialMaterial]:
    trader = new_trader(running)
    stored, key = credential_with_key(running, trader.user_id, VENUE, f"key-{uuid.uuid4().hex}")
    trader.credentials[VENUE] = stored.credential_id
    await announce(running, stored)
    await roomy(running, trader)
    return trader, key


async def resting_orders_then_market_reaches_them(
    running: RunningApp, trader: Trader, count: int
) -> tuple[list[str], float]:
    """Buy orders resting below the market, and the market time at which it comes down to
    them (the venue's clock is then at the start of a down-trend)."""
    venue = sim(running, VENUE)
    start = next_segment(venue._seed, SYMBOL, venue._clock(), "down")
    venue._clock = lambda: start
    limit = (await venue.book(SYMBOL)).bids[0].price
    orders = [
        await place(running, trader, quantity="0.001", limit_price=str(limit)) for _ in range(count)
    ]
    await running.settle()
    assert {(await order_of(running, trader, o))["status"] for o in orders} == {"accepted"}
    crossing = next(
        start + second
        for second in range(1, 7200)
        if build_levels(venue._seed, venue._profile, SYMBOL, start + second)[1][0].price <= limit
    )
    return orders, crossing


async def test_fills_found_on_resting_orders_publish_the_accounts_balances_once(
    running: RunningApp,
) -> None:
    trader, key = await trader_with_key(running)
    orders, crossing = await resting_orders_then_market_reaches_them(running, trader, 2)
    # Resting, nothing filled: no balances reported so far.
    tap = Tap().attach(running, BalanceChanged.TOPIC, OrderFilled.TOPIC)
    venue = sim(running, VENUE)
    venue._clock = lambda: crossing
    execution(running).cancels._polled_at = None  # the poll is due now
    await cancel_round(running)

    for order_id in orders:
        assert (await order_of(running, trader, order_id))["status"] == "filled"
    assert len(tap.of(OrderFilled, user_id=trader.user_id)) == 2
    [reported] = tap.of(BalanceChanged, user_id=trader.user_id)
    wallet = await venue.balances(key)
    assert reported.balances == wallet and wallet["BTC"] == Decimal("0.002")
    assert reported.venue == VENUE and reported.credential_id == trader.credentials[VENUE]
    assert reported.equity_usd > 0

    # A round that finds nothing new reports nothing.
    execution(running).cancels._polled_at = None
    await cancel_round(running)
    assert len(tap.of(BalanceChanged, user_id=trader.user_id)) == 1


async def test_a_cancel_that_finds_the_order_filled_publishes_the_balances(
    running: RunningApp,
) -> None:
    trader, key = await trader_with_key(running)
    [order_id], crossing = await resting_orders_then_market_reaches_them(running, trader, 1)
    tap = Tap().attach(running, BalanceChanged.TOPIC)
    venue = sim(running, VENUE)
    venue._clock = lambda: crossing  # the market got there before the cancel does
    cancels = execution(running).cancels
    cancels._polled_at = time.monotonic()  # no resting poll this round: only the cancel
    cancelled = await running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers)
    assert cancelled.status_code == 202, cancelled.text
    await cancel_round(running)

    assert (await order_of(running, trader, order_id))["status"] == "filled"
    [reported] = tap.of(BalanceChanged, user_id=trader.user_id)
    assert reported.balances == await venue.balances(key)
    assert reported.balances["BTC"] == Decimal("0.001")

"""Paper trading: a simulated venue keeps a wallet per account, moved by fills and fees, and
execution reports it as `BalanceChanged`, which routing sizes positions from. The whole stack
runs; orders go in over HTTP unless a test needs to bypass the risk gate to reach the venue.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from modules.execution.contracts import BalanceChanged, OrderFilled, OrderRejected
from modules.execution.domain.venue import VenueRejected
from modules.kernel.sealing import CredentialMaterial
from tests.conftest import RunningApp, serve, truncate_all
from tests.execution.support import credential_with_key, routed, rows, sim
from tests.execution.test_queue import wait_for
from tests.execution.test_sim_venues import request
from tests.routing.support import Tap, Trader, announce, new_trader, order, roomy

PAPER = Decimal(10_000)


@pytest.fixture
async def running(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """The platform with the default paper wallet (the suite's other tests get deep ones)."""
    await truncate_all(database_url)
    async with serve(create_app(make_settings(sim_paper_usd=PAPER))) as running_app:
        yield running_app


async def paper_trader(running: RunningApp, venue: str) -> tuple[Trader, CredentialMaterial]:
    trader = new_trader(running)
    stored, key = credential_with_key(running, trader.user_id, venue, f"key-{uuid.uuid4().hex}")
    trader.credentials[venue] = stored.credential_id
    await announce(running, stored)
    return trader, key


async def filled(running: RunningApp, tap: Tap, trader: Trader, response: Any) -> list[Any]:
    """The fills of an order placed over HTTP, once it is filled (execution knows the order by
    routing's attempt id)."""
    assert response.status_code == 202, response.text
    attempts: set[str] = set()

    async def done() -> bool:
        found = await rows(
            running,
            "SELECT attempt_id::text AS id FROM routing.route_attempts WHERE order_id = $1::uuid",
            response.json()["id"],
        )
        attempts.update(row["id"] for row in found)
        fills = tap.of(OrderFilled, user_id=trader.user_id)
        return any(f.order_id in attempts and f.status == "filled" for f in fills)

    await wait_for(done, 30)
    return [f for f in tap.of(OrderFilled, user_id=trader.user_id) if f.order_id in attempts]


async def test_a_paper_wallet_moves_to_the_cent_with_fills_and_fees(running: RunningApp) -> None:
    tap = Tap().attach(running, OrderFilled.TOPIC, BalanceChanged.TOPIC)
    trader, key = await paper_trader(running, "coinbase")
    await roomy(running, trader)
    venue = sim(running, "coinbase")
    assert await venue.balances(key) == {"USD": PAPER}  # a new account: its paper dollars

    buy = await filled(running, tap, trader, await order(running, trader, quantity="0.009"))
    usd = PAPER - sum(f.price * f.quantity + f.fee for f in buy)
    assert all(f.fee > 0 and f.fee_currency == "USD" for f in buy)
    assert await venue.balances(key) == {"BTC": Decimal("0.009"), "USD": usd}
    sell = await filled(
        running, tap, trader, await order(running, trader, side="sell", quantity="0.004")
    )
    usd += sum(f.price * f.quantity - f.fee for f in sell)
    wallet = await venue.balances(key)
    assert wallet == {"BTC": Decimal("0.005"), "USD": usd}

    async def reported() -> bool:
        return any(e.balances == wallet for e in tap.of(BalanceChanged, user_id=trader.user_id))

    await wait_for(reported)
    (last,) = [e for e in tap.of(BalanceChanged, user_id=trader.user_id) if e.balances == wallet]
    assert (last.venue, last.credential_id) == ("coinbase", trader.credentials["coinbase"])
    # Equity: the dollars plus the BTC at coinbase's mid when it was read, to the cent.
    assert last.equity_usd == last.equity_usd.quantize(Decimal("0.01"))
    implied_mid = (last.equity_usd - usd) / Decimal("0.005")
    assert abs(implied_mid / sell[0].price - 1) < Decimal("0.002")


async def test_a_buy_beyond_the_wallet_is_refused_and_nothing_is_placed(
    running: RunningApp,
) -> None:
    tap = Tap().attach(running, OrderRejected.TOPIC, BalanceChanged.TOPIC)
    trader, key = await paper_trader(running, "kraken")
    venue = sim(running, "kraken")
    # ~13,000 USD of BTC, straight to execution (past routing's risk gate) to reach the venue.
    too_big = routed(trader, "kraken", quantity=Decimal("0.2"))
    # A spot account cannot sell what it does not hold (an entry, so no position cap applies).
    naked_sell = routed(trader, "kraken", side="sell", quantity=Decimal("0.001"))
    await announce(running, too_big, naked_sell)

    async def refused() -> bool:
        return len(tap.of(OrderRejected, user_id=trader.user_id)) == 2

    await wait_for(refused)
    by_order = {e.order_id: e for e in tap.of(OrderRejected, user_id=trader.user_id)}
    assert by_order[too_big.order_id].code == "insufficient_funds"
    assert "10000 available" in by_order[too_big.order_id].reason
    assert by_order[naked_sell.order_id].code == "insufficient_funds"
    assert venue.attempts[too_big.client_order_id] == 1
    placed = await rows(
        running,
        "SELECT 1 FROM execution.sim_orders WHERE client_order_id = ANY($1)",
        [too_big.client_order_id, naked_sell.client_order_id],
    )
    assert placed == []
    assert await venue.balances(key) == {"USD": PAPER}
    assert tap.of(BalanceChanged, user_id=trader.user_id) == []


async def test_a_spot_sell_of_more_than_the_wallet_holds_is_refused(running: RunningApp) -> None:
    venue = sim(running, "binance")
    key = CredentialMaterial(api_key=f"key-{uuid.uuid4().hex}", api_secret="sim-secret-x")
    bought = await venue.place_order(request(quantity=Decimal("0.01")), key)
    assert bought.status == "filled"
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(request(side="sell", quantity=Decimal("0.011")), key)
    assert refused.value.code == "insufficient_funds"
    # A resting limit buy holds its dollars: a second one cannot spend them again.
    wallet = await venue.balances(key)
    far_below = bought.fills[0].price / 2
    affordable = (wallet["USD"] / far_below * Decimal("0.99")).quantize(Decimal("0.00001"))
    rests = request(order_type="limit", quantity=affordable, limit_price=far_below)
    assert (await venue.place_order(rests, key)).status == "open"
    again = request(order_type="limit", quantity=affordable, limit_price=far_below)
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(again, key)
    assert refused.value.code == "insufficient_funds"
    assert await venue.balances(key) == wallet  # nothing traded: only held


async def test_position_sizing_uses_the_equity_the_venue_reported(running: RunningApp) -> None:
    tap = Tap().attach(running, OrderFilled.TOPIC, BalanceChanged.TOPIC)
    trader, _ = await paper_trader(running, "coinbase")
    await roomy(running, trader)  # the trader says 1,000,000,000 USD at risk level high (10 %)
    path = "/v1/settings/trading"
    before = (await running.client.get(path, headers=trader.headers)).json()
    assert (before["equity_source"], Decimal(before["equity_usd"])) == ("settings", Decimal(10**9))
    await filled(running, tap, trader, await order(running, trader, quantity="0.002"))

    async def sized_from_balances() -> bool:
        shown = (await running.client.get(path, headers=trader.headers)).json()
        return bool(shown["equity_source"] == "balances")

    await wait_for(sized_from_balances)
    shown = (await running.client.get(path, headers=trader.headers)).json()
    (reported,) = tap.of(BalanceChanged, user_id=trader.user_id)
    assert Decimal(shown["equity_usd"]) == reported.equity_usd
    assert abs(reported.equity_usd - PAPER) < 5  # fees and the spread, nothing more
    cap = reported.equity_usd / 10
    assert Decimal(shown["position_limit_usd"]) == cap
    refused = await order(running, trader, quantity="0.02")  # ~1,300 USD > ~1,000 USD
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "position_size_exceeded"
    assert f"{cap:.2f}" in refused.json()["detail"]
    assert (await order(running, trader, quantity="0.012")).status_code == 202  # ~780 USD


async def test_orders_on_two_markets_at_once_cannot_spend_the_same_dollars(
    running: RunningApp,
) -> None:
    """Each market has its own matching engine, but one account's dollars are one wallet: two
    resting buys sent at once on two markets, each for 60 % of it, leave one of them refused."""
    venue = sim(running, "kraken")
    key = CredentialMaterial(api_key=f"key-{uuid.uuid4().hex}", api_secret="sim-secret-x")
    orders = []
    for symbol in ("BTC/USD", "ETH/USD"):
        below = (await venue.book(symbol)).bids[0].price / 2
        quantity = (PAPER * Decimal("0.6") / below).quantize(Decimal("0.0001"))
        orders.append(request(symbol, order_type="limit", quantity=quantity, limit_price=below))
    answers = await asyncio.gather(
        *(venue.place_order(order, key) for order in orders), return_exceptions=True
    )
    rested = [answer for answer in answers if not isinstance(answer, BaseException)]
    refused = [answer for answer in answers if isinstance(answer, VenueRejected)]
    assert [order.status for order in rested] == ["open"], answers
    assert [error.code for error in refused] == ["insufficient_funds"], answers

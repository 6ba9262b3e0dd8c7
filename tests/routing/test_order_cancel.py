"""Cancelling orders through HTTP: what the trader, the venue, the books and the socket see."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from modules.execution.contracts import CredentialUnsealed, OrderCancelled
from modules.execution.domain.sim_market import build_levels
from modules.execution.domain.sim_regimes import next_segment
from modules.routing.contracts import CancelOrderRequested
from tests.conftest import RunningApp, serve, truncate_all
from tests.dashboard.helpers import messages_until_quiet, open_socket
from tests.execution.support import execution, rows, set_faults, sim
from tests.execution.test_queue import wait_for
from tests.routing.support import Tap, Trader, connect, new_trader, roomy

VENUE = "kraken"
SYMBOL = "BTC/USD"


@pytest.fixture
async def big_orders(
    monkeypatch: pytest.MonkeyPatch, make_settings: Any, database_url: str
) -> AsyncIterator[RunningApp]:
    """The platform with TWAP out of the way, so one order can outsize a book's best level."""
    monkeypatch.setenv("NIJA_ROUTING_TWAP_THRESHOLD_USD", "100000000")
    await truncate_all(database_url)
    async with serve(create_app(make_settings())) as running_app:
        yield running_app


async def trader_on_venue(running: RunningApp) -> Trader:
    trader = new_trader(running)
    await connect(running, trader, (VENUE,))
    await roomy(running, trader)
    return trader


async def place(running: RunningApp, trader: Trader, **body: Any) -> str:
    order = {"symbol": SYMBOL, "side": "buy", "type": "limit", **body}
    response = await running.client.post("/v1/orders", json=order, headers=trader.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def order_of(running: RunningApp, trader: Trader, order_id: str) -> dict[str, Any]:
    response = await running.client.get(f"/v1/orders/{order_id}", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def cancel_round(running: RunningApp) -> None:
    """What the open-orders worker does on its next tick, now; then every event delivered."""
    await running.settle()
    assert await execution(running).open_orders.run_once()
    await running.settle()


async def test_a_resting_order_is_cancelled_once_and_the_socket_says_so(
    running: RunningApp,
) -> None:
    trader = await trader_on_venue(running)
    # Far below the market: the order rests on the book.
    order_id = await place(running, trader, quantity="0.001", limit_price="1000")
    await running.settle()
    assert (await order_of(running, trader, order_id))["status"] == "accepted"
    socket = await open_socket(running, trader.headers["Authorization"].split()[1])
    tap = Tap().attach(running, CancelOrderRequested.TOPIC, OrderCancelled.TOPIC)

    taps = await asyncio.gather(
        *(running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers) for _ in range(3))
    )
    assert [t.status_code for t in taps] == [202, 202, 202], [t.text for t in taps]
    assert {t.json()["status"] for t in taps} == {"cancelling"}
    assert len({t.json()["cancel_requested_at"] for t in taps}) == 1  # one request, three taps
    await cancel_round(running)

    order = await order_of(running, trader, order_id)
    assert order["status"] == "cancelled" and Decimal(order["filled_quantity"]) == 0, order
    [venue_order] = await rows(
        running,
        "SELECT s.status FROM execution.sim_orders s JOIN execution.orders o "
        "ON o.client_order_id = s.client_order_id WHERE o.order_id = $1",
        order_id,
    )
    assert venue_order["status"] == "cancelled"
    assert len(tap.of(CancelOrderRequested)) == 1
    [confirmed] = tap.of(OrderCancelled)
    assert confirmed.filled_quantity == 0 and confirmed.remaining_quantity == Decimal("0.001")
    pushed = await messages_until_quiet(socket)
    updates = [m for m in pushed if m["type"] == "order.updated"]
    assert updates and updates[-1]["order"]["status"] == "cancelled", pushed
    await socket.close()

    again = await running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers)
    assert again.status_code == 202 and again.json()["status"] == "cancelled"


async def test_fills_before_the_cancel_stand_and_every_book_agrees(
    big_orders: RunningApp,
) -> None:
    running = big_orders
    trader = await trader_on_venue(running)
    venue = sim(running, VENUE)
    frozen = venue._clock()
    venue._clock = lambda: frozen  # the market holds still: the best level is known
    best = (await venue.book(SYMBOL)).asks[0]
    quantity = best.size + Decimal("0.1")
    order_id = await place(running, trader, quantity=str(quantity), limit_price=str(best.price))
    await running.settle()
    before = await order_of(running, trader, order_id)
    assert before["status"] == "partially_filled", before
    assert Decimal(before["filled_quantity"]) == best.size

    cancelled = await running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers)
    assert cancelled.status_code == 202, cancelled.text
    await cancel_round(running)

    order = await order_of(running, trader, order_id)
    assert order["status"] == "cancelled", order
    # The level refills while the order rests, so the cancel may find a little more first.
    filled = Decimal(order["filled_quantity"])
    assert best.size <= filled < quantity
    [at_venue] = await rows(
        running,
        "SELECT s.status, sum(t.quantity) AS filled FROM execution.sim_orders s "
        "JOIN execution.sim_trades t ON t.venue_order_id = s.venue_order_id "
        "JOIN execution.orders o ON o.client_order_id = s.client_order_id "
        "WHERE o.order_id = $1 GROUP BY s.status",
        order_id,
    )
    assert at_venue["status"] == "cancelled" and at_venue["filled"] == filled
    assert sum(Decimal(f["quantity"]) for f in order["fills"]) == filled
    positions = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    [position] = [p for p in positions if p["symbol"] == SYMBOL]
    assert Decimal(position["quantity"]) == filled


async def test_an_order_still_queued_is_cancelled_before_any_venue_sees_it(
    running: RunningApp,
) -> None:
    # One order an hour: the second order waits in the queue.
    await set_faults(running, VENUE, orders_per_second=0.0003, burst=1)
    trader = await trader_on_venue(running)
    first = await place(running, trader, quantity="0.001", limit_price="1000")
    await running.settle()
    second = await place(running, trader, quantity="0.001", limit_price="1001")

    async def queued() -> bool:
        found = await rows(
            running, "SELECT status FROM execution.orders WHERE order_id = $1", second
        )
        return bool(found) and found[0]["status"] == "queued"

    await wait_for(queued, timeout=20)
    response = await running.client.delete(f"/v1/orders/{second}", headers=trader.headers)
    assert response.status_code == 202, response.text
    await running.settle()

    assert (await order_of(running, trader, second))["status"] == "cancelled"
    [row] = await rows(
        running, "SELECT client_order_id FROM execution.orders WHERE order_id = $1", second
    )
    assert row["client_order_id"] not in sim(running, VENUE).attempts
    assert (await order_of(running, trader, first))["status"] == "accepted"


async def test_cancel_all_cancels_every_open_order_and_only_the_callers(
    running: RunningApp,
) -> None:
    trader, other = await trader_on_venue(running), await trader_on_venue(running)
    mine = [
        await place(running, trader, quantity="0.001", limit_price=price)
        for price in ("1000", "1100")
    ]
    theirs = await place(running, other, quantity="0.001", limit_price="1200")
    await running.settle()

    response = await running.client.delete("/v1/orders", headers=trader.headers)
    assert response.status_code == 202, response.text
    assert sorted(o["id"] for o in response.json()["orders"]) == sorted(mine)
    await cancel_round(running)

    for order_id in mine:
        assert (await order_of(running, trader, order_id))["status"] == "cancelled"
    assert (await order_of(running, other, theirs))["status"] == "accepted"
    # Nothing left to cancel: an empty list, not an error.
    empty = await running.client.delete("/v1/orders", headers=trader.headers)
    assert empty.status_code == 202 and empty.json() == {"orders": []}


async def test_only_an_open_order_of_ones_own_can_be_cancelled(running: RunningApp) -> None:
    trader, stranger = await trader_on_venue(running), await trader_on_venue(running)
    filled = await running.client.post(
        "/v1/orders",
        json={"symbol": SYMBOL, "side": "buy", "type": "market", "quantity": "0.001"},
        headers=trader.headers,
    )
    order_id = filled.json()["id"]
    resting = await place(running, trader, quantity="0.001", limit_price="1000")
    await running.settle()

    done = await running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers)
    assert done.status_code == 409 and done.json()["code"] == "order_not_open", done.text
    foreign = await running.client.delete(f"/v1/orders/{resting}", headers=stranger.headers)
    assert foreign.status_code == 404
    assert (await order_of(running, trader, resting))["status"] == "accepted"


async def test_a_cancel_whose_answer_is_lost_is_settled_by_looking_the_order_up(
    running: RunningApp,
) -> None:
    trader = await trader_on_venue(running)
    order_id = await place(running, trader, quantity="0.001", limit_price="1000")
    await running.settle()
    # Every cancel times out; half of them were carried out before the answer was lost.
    await set_faults(running, VENUE, timeout_rate=1.0)
    response = await running.client.delete(f"/v1/orders/{order_id}", headers=trader.headers)
    assert response.status_code == 202
    for _ in range(30):
        await cancel_round(running)
        if (await order_of(running, trader, order_id))["status"] == "cancelled":
            break
    assert (await order_of(running, trader, order_id))["status"] == "cancelled"
    [row] = await rows(
        running,
        "SELECT s.status FROM execution.sim_orders s JOIN execution.orders o "
        "ON o.client_order_id = s.client_order_id WHERE o.order_id = $1",
        order_id,
    )
    assert row["status"] == "cancelled"


async def test_resting_orders_fill_when_the_market_comes_to_them_one_unseal_per_account(
    running: RunningApp,
) -> None:
    trader = await trader_on_venue(running)
    venue = sim(running, VENUE)
    # A down-trend, so the market surely comes down to the orders within the next two hours.
    start = next_segment(venue._seed, SYMBOL, venue._clock(), "down")
    venue._clock = lambda: start
    limit = (await venue.book(SYMBOL)).bids[0].price  # below the best ask: both rest
    orders = [
        await place(running, trader, quantity="0.001", limit_price=str(limit)) for _ in range(2)
    ]
    await running.settle()
    assert {(await order_of(running, trader, o))["status"] for o in orders} == {"accepted"}
    crossing = next(
        start + second
        for second in range(1, 7200)
        if build_levels(venue._seed, venue._profile, SYMBOL, start + second)[1][0].price <= limit
    )
    # Listen before the market moves: the worker's own round may be the one that sees it.
    tap = Tap().attach(running, CredentialUnsealed.TOPIC)
    venue._clock = lambda: crossing
    execution(running).cancels._polled_at = None  # the poll is due now
    await cancel_round(running)

    for order_id in orders:
        order = await order_of(running, trader, order_id)
        assert order["status"] == "filled", order
        assert [(f["price"], f["liquidity"]) for f in order["fills"]] == [(str(limit), "maker")]
    assert len(tap.of(CredentialUnsealed, purpose="reconcile")) == 1

"""A re-routed order is one order on the dashboard: the id the trader got, the latest attempt's
venue and status, every attempt's fills.

Routing re-routes an order a venue failed under a new execution order id per attempt; the
dashboard must fold each attempt into the order the trader placed, whatever order the events
arrive in, and an attempt that was superseded must not take the order back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from app import create_app
from modules.execution.contracts import OrderRejected
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp, serve, truncate_all
from tests.dashboard.helpers import (
    accepted,
    bearer,
    filled,
    messages_until_quiet,
    new_user,
    open_socket,
    publish,
    routed,
)
from tests.routing.support import (
    SYMBOL_MIDS,
    Tap,
    announce,
    connect,
    fill_event,
    new_trader,
    order,
    publish_books,
    roomy,
)


def _reject(event: OrderRouted, code: str = "venue_unavailable") -> OrderRejected:
    """Execution's rejection of one attempt (a fresh event id each time, like a new report)."""
    return OrderRejected(
        order_id=event.order_id,
        user_id=event.user_id,
        venue=event.venue,
        code=code,
        reason=f"{event.venue} said {code}",
    )


async def _listed(running: RunningApp, token: str) -> list[dict[str, Any]]:
    response = await running.client.get("/v1/dashboard/orders", headers=bearer(token))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _detail(running: RunningApp, token: str, order_id: str) -> dict[str, Any]:
    response = await running.client.get(f"/v1/dashboard/orders/{order_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _notifications(running: RunningApp, token: str) -> list[dict[str, Any]]:
    response = await running.client.get("/v1/notifications", headers=bearer(token))
    items: list[dict[str, Any]] = response.json()["items"]
    return items


# ---- through routing: a real failover ---------------------------------------------------------


@pytest.fixture
async def stack(make_settings: Any, database_url: str) -> AsyncIterator[tuple[RunningApp, Tap]]:
    """Routing and the dashboard; the test plays execution (books in, reports back)."""
    await truncate_all(database_url)
    app = create_app(make_settings(modules=("routing", "dashboard"), market_tick_seconds=3600))
    tap = Tap().attach(app.state.runtime.pubsub, OrderRouted.TOPIC)
    async with serve(app) as running:
        await publish_books(running, SYMBOL_MIDS)
        yield running, tap


async def _placed(running: RunningApp, tap: Tap) -> tuple[str, str, OrderRouted]:
    """(token, order id, its first routing) for a new trader's 0.05 BTC market buy."""
    trader = new_trader(running)
    await connect(running, trader, ("coinbase", "kraken", "binance"))
    await roomy(running, trader)
    response = await order(running, trader, quantity="0.05")
    assert response.status_code == 202, response.text
    order_id = response.json()["id"]
    await running.settle()
    (first,) = tap.of(OrderRouted, order_id=order_id)
    assert (first.attempt, first.original_order_id) == (0, order_id)
    return trader.headers["Authorization"].removeprefix("Bearer "), order_id, first


async def test_a_rerouted_order_is_one_order_that_follows_its_latest_attempt(
    stack: tuple[RunningApp, Tap],
) -> None:
    running, tap = stack
    token, order_id, first = await _placed(running, tap)
    ws = await open_socket(running, token)

    await announce(running, _reject(first))
    (second,) = tap.of(OrderRouted, original_order_id=order_id, attempt=1)
    assert second.order_id != order_id and second.venue != first.venue
    await announce(running, accepted(second), fill_event(second, Decimal(50004)))

    (listed,) = await _listed(running, token)
    assert listed["id"] == order_id
    assert (listed["status"], listed["venue"]) == ("filled", second.venue)
    assert Decimal(listed["filled_quantity"]) == Decimal("0.05")
    assert listed["reason"] is None  # the first venue's failure no longer describes the order
    body = await _detail(running, token, order_id)
    assert [(f["order_id"], f["venue"]) for f in body["fills"]] == [(order_id, second.venue)]
    attempt_view = await running.client.get(
        f"/v1/dashboard/orders/{second.order_id}", headers=bearer(token)
    )
    assert attempt_view.status_code == 404

    received = await messages_until_quiet(ws)
    orders = [m["order"] for m in received if "order" in m]
    assert orders and {o["id"] for o in orders} == {order_id}
    assert max(orders, key=lambda o: o["revision"])["status"] == "filled"
    fills = [m["fill"] for m in received if m["type"] == "order.filled"]
    assert [f["order_id"] for f in fills] == [order_id]
    pushed = [m["notification"] for m in received if m["type"] == "notification.created"]
    notes = await _notifications(running, token)
    assert {n["order_id"] for n in pushed} == {n["order_id"] for n in notes} == {order_id}
    kinds = [n["kind"] for n in reversed(notes)]  # oldest first
    assert kinds[-1] == "order.filled"
    if "order.rejected" in kinds:  # told before the re-route arrived: then told it was re-routed
        assert kinds.index("order.rejected") < kinds.index("order.rerouted")

    # The first venue's rejection reported again (a new report, not a redelivery) changes nothing.
    await announce(running, _reject(first))
    (again,) = await _listed(running, token)
    assert (again["status"], again["venue"], again["revision"]) == (
        "filled",
        second.venue,
        listed["revision"],
    )
    await ws.close()


async def test_an_order_every_venue_failed_ends_rejected_at_the_last_one(
    stack: tuple[RunningApp, Tap],
) -> None:
    running, tap = stack
    token, order_id, attempt = await _placed(running, tap)
    for number in (1, 2):
        await announce(running, _reject(attempt))
        (attempt,) = tap.of(OrderRouted, original_order_id=order_id, attempt=number)
    await announce(running, _reject(attempt, "timeout"))
    assert not tap.of(OrderRouted, original_order_id=order_id, attempt=3)

    (listed,) = await _listed(running, token)
    assert listed["id"] == order_id
    assert (listed["status"], listed["venue"]) == ("rejected", attempt.venue)
    assert "timeout" in listed["reason"]
    notes = await _notifications(running, token)
    assert notes[0]["kind"] == "order.rejected" and {n["order_id"] for n in notes} == {order_id}


# ---- the dashboard alone: any order of delivery ------------------------------------------------


def _failover(owner: str) -> dict[str, Any]:
    """An order Binance failed and Kraken filled, as the events routing and execution publish."""
    order_id = str(uuid.uuid4())
    first = routed(owner, order_id, venue="binance", original_order_id=order_id)
    # Routing derives the attempt's id from the order's; the dashboard must not need to know how.
    second = routed(owner, str(uuid.uuid4()), venue="kraken", attempt=1, original_order_id=order_id)
    return {
        "routed0": first,
        "rejected0": _reject(first),
        "routed1": second,
        "accepted1": accepted(second),
        "filled1": filled(second, quantity="0.5", price="65010", cumulative="0.5", average="65010"),
    }


ORDERS_OF_DELIVERY = {
    "as_sent": ["routed0", "rejected0", "routed1", "accepted1", "filled1"],
    "attempt_before_its_routing": ["routed0", "rejected0", "filled1", "accepted1", "routed1"],
    "reversed": ["filled1", "accepted1", "routed1", "rejected0", "routed0"],
    "reroute_before_rejection": ["routed0", "routed1", "rejected0", "accepted1", "filled1"],
    "rejection_after_fill": ["routed1", "accepted1", "filled1", "rejected0", "routed0"],
}


async def _assert_one_filled_order(
    running: RunningApp, token: str, events: dict[str, Any], database_url: str
) -> None:
    order_id = events["routed0"].order_id
    (listed,) = await _listed(running, token)
    assert listed["id"] == order_id
    assert (listed["status"], listed["venue"], listed["reason"]) == ("filled", "kraken", None)
    assert (listed["symbol"], Decimal(listed["quantity"])) == ("BTC-USD", Decimal("0.5"))
    assert Decimal(listed["filled_quantity"]) == Decimal("0.5")
    body = await _detail(running, token, order_id)
    assert [(f["order_id"], f["fill_id"]) for f in body["fills"]] == [
        (order_id, events["filled1"].fill_id)
    ]
    notes = await _notifications(running, token)
    assert {n["order_id"] for n in notes} == {order_id}
    assert notes[0]["kind"] == "order.filled"
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM dashboard.pending_events") == 0
    finally:
        await conn.close()


@pytest.mark.parametrize("sequence", ORDERS_OF_DELIVERY.values(), ids=ORDERS_OF_DELIVERY.keys())
async def test_attempts_fold_into_the_order_in_any_order_of_delivery(
    running: RunningApp, database_url: str, sequence: list[str]
) -> None:
    owner, token = new_user(running)
    events = _failover(owner)
    for name in sequence:
        await publish(running, events[name])
    await _assert_one_filled_order(running, token, events, database_url)


async def test_attempts_delivered_all_at_once_and_twice_fold_into_the_order(
    running: RunningApp, database_url: str
) -> None:
    owner, token = new_user(running)
    events = _failover(owner)
    await publish(running, *events.values(), *events.values())
    await _assert_one_filled_order(running, token, events, database_url)


async def test_an_attempt_is_hidden_until_its_routing_then_rerouted_is_notified(
    running: RunningApp,
) -> None:
    owner, token = new_user(running)
    events = _failover(owner)
    order_id, attempt_id = events["routed0"].order_id, events["routed1"].order_id
    ws = await open_socket(running, token)
    for name in ("routed0", "rejected0", "accepted1", "filled1"):
        await publish(running, events[name])

    # Kraken's reports wait for the routing that says whose they are: nothing shows them yet.
    (listed,) = await _listed(running, token)
    assert (listed["id"], listed["status"], listed["venue"]) == (order_id, "rejected", "binance")
    hidden = await running.client.get(f"/v1/dashboard/orders/{attempt_id}", headers=bearer(token))
    assert hidden.status_code == 404

    await publish(running, events["routed1"])
    (listed,) = await _listed(running, token)
    assert (listed["id"], listed["status"], listed["venue"]) == (order_id, "filled", "kraken")
    kinds = [n["kind"] for n in reversed(await _notifications(running, token))]
    assert kinds == ["order.rejected", "order.rerouted", "order.filled"]
    received = await messages_until_quiet(ws)
    assert {m["order"]["id"] for m in received if "order" in m} == {order_id}
    assert {m["fill"]["order_id"] for m in received if m["type"] == "order.filled"} == {order_id}
    await ws.close()

"""The order read model and notifications, fed by contract events, read over real HTTP."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from modules.execution.contracts import OrderExpired, OrderRejected
from tests.conftest import RunningApp
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


async def _order(running: RunningApp, token: str, order_id: str) -> dict[str, Any]:
    response = await running.client.get(f"/v1/dashboard/orders/{order_id}", headers=bearer(token))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_orders_are_listed_newest_first_and_only_to_their_owner(
    running: RunningApp,
) -> None:
    owner, token = new_user(running)
    other, other_token = new_user(running)
    first, second = routed(owner), routed(owner, symbol="ETH-USD", side="sell")
    await publish(running, first)
    await publish(running, second, routed(other))

    listed = (await running.client.get("/v1/dashboard/orders", headers=bearer(token))).json()
    assert [o["id"] for o in listed["items"]] == [second.order_id, first.order_id]
    top = listed["items"][0]
    assert (top["symbol"], top["side"], top["type"], top["status"]) == (
        "ETH-USD",
        "sell",
        "market",
        "routed",
    )
    assert Decimal(top["quantity"]) == Decimal("0.5") and top["venue"] == "kraken"
    others = (await running.client.get("/v1/dashboard/orders", headers=bearer(other_token))).json()
    assert len(others["items"]) == 1
    stolen = await running.client.get(
        f"/v1/dashboard/orders/{first.order_id}", headers=bearer(other_token)
    )
    assert stolen.status_code == 404
    assert stolen.headers["content-type"].startswith("application/problem+json")


async def test_reading_needs_a_valid_token(running: RunningApp) -> None:
    for path in ("/v1/dashboard/orders", "/v1/notifications"):
        response = await running.client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "missing_token"
    bad = await running.client.get("/v1/dashboard/orders", headers=bearer("nope"))
    assert bad.status_code == 401
    too_many = await running.client.get(
        "/v1/dashboard/orders?limit=100000", headers=bearer(new_user(running)[1])
    )
    assert too_many.status_code == 400


async def test_events_arriving_out_of_order_build_the_same_order(running: RunningApp) -> None:
    owner, token = new_user(running)
    order = routed(owner, quantity=Decimal("1"), venue="coinbase")
    first = filled(order, quantity="0.25", price="100", cumulative="0.25", average="100")
    last = filled(order, quantity="0.75", price="104", cumulative="1", average="103", fee="1.5")
    # The final fill, then the acceptance, then the first fill, then the routing decision.
    for event in (last, accepted(order), first, order):
        await publish(running, event)

    body = await _order(running, token, order.order_id)
    view = body["order"]
    assert view["status"] == "filled"
    assert Decimal(view["filled_quantity"]) == Decimal("1")
    assert Decimal(view["average_price"]) == Decimal("103")
    assert Decimal(view["fees"]) == Decimal("2.0")
    assert (view["symbol"], view["type"], view["venue"]) == ("BTC-USD", "market", "coinbase")
    assert Decimal(view["quantity"]) == Decimal("1")
    assert sorted(f["fill_id"] for f in body["fills"]) == sorted([first.fill_id, last.fill_id])

    # A late expiry cannot reopen or downgrade a filled order.
    await publish(
        running,
        OrderExpired(
            order_id=order.order_id,
            user_id=owner,
            venue="coinbase",
            filled_quantity=Decimal("1"),
            remaining_quantity=Decimal("0"),
            reason="late",
        ),
    )
    assert (await _order(running, token, order.order_id))["order"]["status"] == "filled"


async def test_partial_fill_then_expiry(running: RunningApp) -> None:
    owner, token = new_user(running)
    order = routed(owner, quantity=Decimal("2"))
    await publish(running, order)
    await publish(
        running, filled(order, quantity="0.5", price="10", cumulative="0.5", average="10")
    )
    assert (await _order(running, token, order.order_id))["order"]["status"] == "partially_filled"
    await publish(
        running,
        OrderExpired(
            order_id=order.order_id,
            user_id=owner,
            venue="kraken",
            filled_quantity=Decimal("0.5"),
            remaining_quantity=Decimal("1.5"),
            reason="book exhausted",
        ),
    )
    view = (await _order(running, token, order.order_id))["order"]
    assert view["status"] == "expired" and view["reason"] == "book exhausted"
    assert Decimal(view["filled_quantity"]) == Decimal("0.5")
    notes = (await running.client.get("/v1/notifications", headers=bearer(token))).json()
    assert [n["kind"] for n in notes["items"]] == ["order.expired", "order.filled"]


async def test_rejection_is_final_and_notified(running: RunningApp) -> None:
    owner, token = new_user(running)
    ws = await open_socket(running, token)
    order = routed(owner)
    reject = OrderRejected(
        order_id=order.order_id,
        user_id=owner,
        venue="kraken",
        code="insufficient_funds",
        reason="Not enough USD",
    )
    for event in (order, reject, accepted(order)):
        await publish(running, event)
    view = (await _order(running, token, order.order_id))["order"]
    assert view["status"] == "rejected"
    assert "Not enough USD" in view["reason"]
    received = await messages_until_quiet(ws)
    statuses = [m["order"]["status"] for m in received if m["type"] == "order.updated"]
    assert statuses[:2] == ["routed", "rejected"] and set(statuses[2:]) <= {"rejected"}
    kinds = [m["notification"]["kind"] for m in received if m["type"] == "notification.created"]
    assert kinds == ["order.rejected"]
    await ws.close()


async def test_notifications_are_listed_and_marked_read_by_their_owner_only(
    running: RunningApp,
) -> None:
    owner, token = new_user(running)
    _, other_token = new_user(running)
    order = routed(owner, quantity=Decimal("1"))
    await publish(running, order)
    await publish(
        running, filled(order, quantity="0.4", price="50000", cumulative="0.4", average="50000")
    )
    await publish(
        running, filled(order, quantity="0.6", price="50010", cumulative="1", average="50006")
    )

    listed = (await running.client.get("/v1/notifications", headers=bearer(token))).json()
    assert listed["unread"] == 2
    assert [n["title"] for n in listed["items"]] == ["Order filled", "Order partially filled"]
    newest = listed["items"][0]
    assert newest["order_id"] == order.order_id and newest["read_at"] is None
    assert "Bought 0.6 BTC" in newest["body"] and "50010" in newest["body"]

    other = await running.client.get("/v1/notifications", headers=bearer(other_token))
    assert other.json() == {"items": [], "unread": 0}
    stolen = await running.client.post(
        f"/v1/notifications/{newest['id']}/read", headers=bearer(other_token)
    )
    assert stolen.status_code == 404
    for bogus in ("not-a-uuid", str(uuid.uuid4())):
        missing = await running.client.post(
            f"/v1/notifications/{bogus}/read", headers=bearer(token)
        )
        assert missing.status_code == 404

    read = await running.client.post(
        f"/v1/notifications/{newest['id']}/read", headers=bearer(token)
    )
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await running.client.post(
        f"/v1/notifications/{newest['id']}/read", headers=bearer(token)
    )
    assert again.json()["read_at"] == read.json()["read_at"]
    unread = (
        await running.client.get("/v1/notifications?unread=true", headers=bearer(token))
    ).json()
    assert unread["unread"] == 1
    assert [n["title"] for n in unread["items"]] == ["Order partially filled"]


async def test_fills_delivered_concurrently_all_count_once(running: RunningApp) -> None:
    owner, token = new_user(running)
    ws = await open_socket(running, token)
    order = routed(owner, quantity=Decimal("1"))
    await publish(running, order)
    # Fill i is at price 100 + i, so after it the venue reports an average of 100 + i/2.
    fills = [
        filled(
            order,
            quantity="0.1",
            price=str(100 + i),
            cumulative=str(Decimal(i + 1) / 10),
            average=str(Decimal(100) + Decimal(i) / 2),
        )
        for i in range(10)
    ]
    # All at once, each twice: the bus hands them to several consumers in parallel.
    await publish(running, *fills, *fills)
    body = await _order(running, token, order.order_id)
    assert len(body["fills"]) == 10
    view = body["order"]
    assert view["status"] == "filled"
    assert Decimal(view["filled_quantity"]) == Decimal("1")
    assert Decimal(view["fees"]) == Decimal("5.0")
    assert Decimal(view["average_price"]) == Decimal("104.5")
    received = await messages_until_quiet(ws)
    assert len([m for m in received if m["type"] == "order.filled"]) == 10
    await ws.close()

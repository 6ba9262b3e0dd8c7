"""The kill switch's close-all, and exits that can never sell more than a position holds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.conftest import RunningApp
from tests.execution.support import execution, routed, rows
from tests.routing.support import admin_headers, announce, connect, new_trader, roomy

VENUE = "kraken"


async def buy(running: RunningApp, trader: Any, quantity: str, **extra: Any) -> str:
    body = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": quantity, **extra}
    response = await running.client.post("/v1/orders", json=body, headers=trader.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def held(running: RunningApp, trader: Any) -> Decimal:
    positions = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    return sum((Decimal(p["quantity"]) for p in positions), Decimal(0))


async def test_close_all_cancels_open_orders_and_closes_each_position_once(
    running: RunningApp,
) -> None:
    trader, bystander = new_trader(running), new_trader(running)
    for who in (trader, bystander):
        await connect(running, who, (VENUE,))
        await roomy(running, who)
        await buy(running, who, "0.009")
    resting = await buy(running, trader, "0.001", type="limit", limit_price="1000")
    await running.settle()
    assert await held(running, trader) == Decimal("0.009")

    body = {"scope": "user", "user_id": trader.user_id, "active": True, "close_all_positions": True}
    taps = await asyncio.gather(
        *(
            running.client.post("/v1/admin/kill-switch", json=body, headers=admin_headers(running))
            for _ in range(2)
        )
    )
    assert [t.status_code for t in taps] == [200, 200], [t.text for t in taps]
    assert sum(t.json()["positions_closing"] for t in taps) == 1  # two taps, one close
    assert sum(t.json()["orders_cancelled"] for t in taps) >= 1
    await running.settle()
    assert await execution(running).open_orders.run_once()
    await running.settle()

    assert await held(running, trader) == 0, "flat, not short"
    sells = await rows(
        running,
        "SELECT quantity, status FROM routing.orders WHERE user_id = $1 AND side = 'sell'",
        trader.user_id,
    )
    assert [(r["quantity"], r["status"]) for r in sells] == [(Decimal("0.009"), "filled")]
    order = (await running.client.get(f"/v1/orders/{resting}", headers=trader.headers)).json()
    assert order["status"] == "cancelled"
    refused = await running.client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"},
        headers=trader.headers,
    )
    assert refused.status_code == 403 and refused.json()["code"] == "kill_switch_active"
    assert await held(running, bystander) == Decimal("0.009"), "another user is untouched"


async def test_close_all_only_goes_with_engaging(running: RunningApp) -> None:
    response = await running.client.post(
        "/v1/admin/kill-switch",
        json={"scope": "global", "active": False, "close_all_positions": True},
        headers=admin_headers(running),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "close_all_needs_engaging"


async def test_an_exit_never_sells_more_than_the_venue_position_holds(
    running: RunningApp,
) -> None:
    """Routing's copy of a position can lag its fills; execution caps every exit at what the
    position holds there, less the exits already on their way."""
    trader = new_trader(running)
    await connect(running, trader, (VENUE,))
    await roomy(running, trader)
    await buy(running, trader, "0.009")
    await running.settle()
    too_big = routed(trader, VENUE, side="sell", quantity=Decimal("0.02"), signal="exit")
    await announce(running, too_big)
    after_first = routed(trader, VENUE, side="sell", quantity=Decimal("0.009"), signal="exit")
    await announce(running, after_first)

    placed = await rows(
        running,
        "SELECT client_order_id, quantity, status FROM execution.sim_orders "
        "WHERE client_order_id = ANY($1)",
        [too_big.client_order_id, after_first.client_order_id],
    )
    assert [(r["client_order_id"], r["quantity"]) for r in placed] == [
        (too_big.client_order_id, Decimal("0.009"))
    ]
    [second] = await rows(
        running,
        "SELECT status, reject_code FROM execution.orders WHERE order_id = $1",
        after_first.order_id,
    )
    assert (second["status"], second["reject_code"]) == ("rejected", "nothing_to_close")
    assert await held(running, trader) == 0

"""A close is one action however it is tapped, and never sells more than the position holds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.conftest import RunningApp
from tests.routing.support import connect, new_trader, roomy

VENUE = "kraken"


async def test_a_double_tap_close_is_one_close_and_never_opens_a_short(
    running: RunningApp,
) -> None:
    trader = new_trader(running)
    await connect(running, trader, (VENUE,))
    await roomy(running, trader)
    await running.settle()
    bought = await running.client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.009"},
        headers=trader.headers,
    )
    assert bought.status_code == 202, bought.text
    await running.settle()
    positions = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    [position] = [p for p in positions if p["status"] == "open"]
    url = f"/v1/positions/{position['position_id']}/close"

    taps = await asyncio.gather(
        *(running.client.post(url, headers=trader.headers) for _ in range(3))
    )
    assert [t.status_code for t in taps] == [202, 202, 202], [t.text for t in taps]
    assert len({t.json()["id"] for t in taps}) == 1  # the second and third replay the first
    await running.settle()

    after = (
        await running.client.get(f"/v1/positions/{position['position_id']}", headers=trader.headers)
    ).json()
    assert Decimal(after["quantity"]) == 0, after  # flat, not short
    orders: list[dict[str, Any]] = (
        await running.client.get("/v1/orders", headers=trader.headers)
    ).json()
    items = orders["items"] if isinstance(orders, dict) else orders
    sells = [o for o in items if o["side"] == "sell"]
    assert len(sells) == 1 and Decimal(sells[0]["quantity"]) == Decimal("0.009"), sells
    again = await running.client.post(url, headers=trader.headers)
    assert again.status_code == 404 and again.json()["code"] == "position_not_found"

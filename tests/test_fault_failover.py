"""Venue faults end to end: simulated venues fail, execution reports it, routing fails over.

The two cheap venues (binance, kraken) are made to fail every placement (errors, timeouts or
429s); coinbase, whose 1.2 % taker fee makes it the last choice, stays healthy. Every accepted
order must still end filled within two re-routes, never trying a venue twice: on coinbase, or,
after a timeout that did reach the venue, where the look-up found it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import RunningApp
from tests.routing.support import Trader, admin_headers, connect, new_trader, order, roomy

VENUES = ("coinbase", "kraken", "binance")
TERMINAL = {"filled", "expired", "rejected"}


async def _terminal(
    running: RunningApp, headers: dict[str, str], order_id: str
) -> dict[str, object]:
    for _ in range(100):
        await running.settle()
        body: dict[str, object] = (
            await running.client.get(f"/v1/orders/{order_id}", headers=headers)
        ).json()
        if body["status"] in TERMINAL:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"order {order_id} stuck: {body}")


@pytest.mark.parametrize("fault", ["error_rate", "timeout_rate", "rate_limit_rate"])
async def test_orders_fail_over_from_a_faulty_venue(running: RunningApp, fault: str) -> None:
    faulty = {"binance", "kraken"}
    for venue in faulty:
        injected = await running.client.post(
            f"/v1/admin/venues/{venue}/faults",
            json={fault: 1.0, "place_timeout_seconds": 0.2},
            headers=admin_headers(running),
        )
        assert injected.status_code in (200, 201), injected.text

    trader = new_trader(running)
    await connect(running, trader, VENUES)
    await roomy(running, trader)
    finals = []
    for _ in range(4):  # one at a time: each order meets the venues as the last one left them
        placed = await _order_when_market_is_in(running, trader)
        assert placed.status_code == 202, placed.text
        finals.append(await _terminal(running, trader.headers, placed.json()["id"]))
    rerouted = 0
    for final in finals:
        route = (
            await running.client.get(f"/v1/orders/{final['id']}/route", headers=trader.headers)
        ).json()
        venues_tried = [a["venue"] for a in route["attempts"]]
        assert len(venues_tried) == len(set(venues_tried)), "a venue was tried twice"
        assert len(venues_tried) <= 3, "at most two re-routes"
        assert final["status"] in ("filled", "expired"), final
        if final["venue"] != "coinbase":
            # Only a timeout can end on a faulty venue: the order did reach it, and the
            # look-up by client order id found it there instead of sending it again.
            assert fault == "timeout_rate" and final["venue"] == venues_tried[-1], final
        rerouted += venues_tried[0] in faulty
    # The first order meets a faulty venue; later ones may already avoid them (measured
    # failures and open breakers weigh in the score).
    assert rerouted >= 1


async def _order_when_market_is_in(running: RunningApp, trader: Trader) -> Any:
    for _ in range(50):
        placed = await order(running, trader)
        if placed.status_code == 503:
            await asyncio.sleep(0.1)  # the first market tick is not in yet
        elif placed.status_code == 429:  # the per-user order rate: come back when told to
            await asyncio.sleep(float(placed.headers["retry-after"]))
        else:
            return placed
    return placed

"""Closing with fills that come late: a close never sells what another close will sell.

Routing alone; the test plays execution at the event seam (order fills and position changes).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp
from tests.routing.support import (
    Tap,
    announce,
    connect,
    fill_event,
    new_trader,
    order,
    position_event,
    routing_only,
)

D = Decimal


@pytest.fixture
async def alone(make_settings: Any, database_url: str, monkeypatch: Any) -> Any:
    async with routing_only(make_settings, database_url, monkeypatch, order_rate_burst=100) as pair:
        yield pair


def _routed(tap: Tap, user_id: str) -> list[Any]:
    return sorted(tap.of(OrderRouted, user_id=user_id), key=lambda e: e.occurred_at)


async def test_a_late_partial_fill_does_not_let_a_second_close_oversell(
    alone: tuple[RunningApp, Tap],
) -> None:
    running, tap = alone
    trader = new_trader(running)
    await connect(running, trader, ("kraken",))
    assert (await order(running, trader, quantity="0.01")).status_code == 202
    await running.settle()
    [buy] = _routed(tap, trader.user_id)
    held = position_event(buy, quantity=D("0.01"), version=1)
    await announce(running, fill_event(buy, D(50000)), held)
    url = f"/v1/positions/{held.position_id}/close"

    first = await running.client.post(url, headers=trader.headers)
    assert first.status_code == 202, first.text
    await running.settle()
    close = _routed(tap, trader.user_id)[-1]
    assert (close.side, close.quantity) == ("sell", D("0.01"))
    # Half of the close fills; the position moves on before the rest of the close is done.
    await announce(
        running,
        fill_event(close, D(50100), D("0.004")),
        position_event(close, quantity=D("0.006"), version=2),
    )
    second = await running.client.post(url, headers=trader.headers)
    assert second.status_code == 409 and second.json()["code"] == "close_in_flight"
    assert len(_routed(tap, trader.user_id)) == 2  # no second sell went out
    # The rest fills: flat, and nothing left to close.
    await announce(
        running,
        fill_event(close, D(50100), D("0.006")),
        position_event(close, quantity=D(0), version=3),
    )
    gone = await running.client.post(url, headers=trader.headers)
    assert gone.status_code == 404 and gone.json()["code"] == "position_not_found"

"""Orders through the real stack: routed to the cheapest venue, filled, shown with their route."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modules.execution.adapters.sim_venue.venue import SimVenue
from tests.conftest import RunningApp
from tests.routing.support import (
    BookTape,
    connect,
    depth,
    new_trader,
    quiet_market,
    roomy,
    walk_cost,
)

VENUES = ("coinbase", "kraken", "binance")


@pytest.fixture
async def market(make_settings: Any, database_url: str, monkeypatch: Any) -> Any:
    # These tests look at single-venue routing of sizable orders: no TWAP slicing.
    monkeypatch.setenv("NIJA_ROUTING_TWAP_THRESHOLD_USD", "1000000000000")
    async with quiet_market(make_settings, database_url) as pair:
        yield pair


async def _trader(running: RunningApp, venues: tuple[str, ...]) -> Any:
    trader = new_trader(running)
    await connect(running, trader, venues)
    await roomy(running, trader)
    return trader


async def _place(running: RunningApp, headers: dict[str, str], **body: Any) -> Any:
    return await running.client.post("/v1/orders", json=body, headers=headers)


async def test_order_goes_to_the_cheapest_venue_and_fills(market: tuple[RunningApp, BookTape]):
    running, tape = market
    trader = await _trader(running, VENUES)

    response = await _place(
        running, trader.headers, symbol="BTC/USD", side="buy", type="market", quantity="0.8"
    )
    assert response.status_code == 202, response.text
    placed = response.json()
    assert placed["status"] == "routed"
    assert placed["client_order_id"] == "nija-" + placed["id"].replace("-", "")

    detail = (await running.client.get(f"/v1/orders/{placed['id']}", headers=trader.headers)).json()
    candidates = {c["venue"]: c for c in detail["route"]["candidates"]}
    assert set(candidates) == set(VENUES)
    # Recompute every venue's cost from the very books routing scored.
    costs = {}
    for venue, candidate in candidates.items():
        book = tape.book(venue, "BTC/USD", _parse_time(candidate["book_at"]))
        costs[venue] = walk_cost(book, "buy", 0.8)
        for factor in ("fee", "slippage", "latency_risk", "expected_cost"):
            assert float(candidate[factor]) == pytest.approx(costs[venue][factor], rel=1e-6)
        assert candidate["eligible"] is True and candidate["reason"] is None
    cheapest = min(costs, key=lambda v: costs[v]["expected_cost"])
    assert placed["venue"] == cheapest == detail["route"]["chosen"] == detail["venue"]

    await running.settle()
    detail = (await running.client.get(f"/v1/orders/{placed['id']}", headers=trader.headers)).json()
    assert detail["status"] == "filled"
    fills = detail["fills"]
    assert fills and sum(Decimal(f["quantity"]) for f in fills) == Decimal("0.8")
    notional = sum(Decimal(f["price"]) * Decimal(f["quantity"]) for f in fills)
    assert Decimal(detail["filled_quantity"]) == Decimal("0.8")
    assert Decimal(detail["average_price"]) == pytest.approx(notional / Decimal("0.8"))
    assert Decimal(detail["fees"]) == sum(Decimal(f["fee"]) for f in fills)
    # The fee charged is the venue's real taker rate from ccxt's fee table.
    taker = SimVenue.real_fees(cheapest).taker
    assert Decimal(detail["fees"]) == pytest.approx(notional * taker, abs=Decimal("0.0001"))


async def test_only_venues_with_credentials_are_eligible(market: tuple[RunningApp, BookTape]):
    running, tape = market
    trader = await _trader(running, ("coinbase", "kraken"))

    response = await _place(
        running, trader.headers, symbol="ETH/USD", side="sell", type="market", quantity="3"
    )
    assert response.status_code == 202, response.text
    detail = (
        await running.client.get(f"/v1/orders/{response.json()['id']}", headers=trader.headers)
    ).json()
    candidates = {c["venue"]: c for c in detail["route"]["candidates"]}
    assert candidates["binance"]["eligible"] is False
    assert candidates["binance"]["reason"] == "no_credentials"
    costs = {
        venue: walk_cost(tape.latest(venue, "ETH/USD"), "sell", 3.0)["expected_cost"]
        for venue in ("coinbase", "kraken")
    }
    assert detail["venue"] == min(costs, key=costs.__getitem__)


async def test_pair_listed_only_elsewhere_needs_credentials_there(
    market: tuple[RunningApp, BookTape],
):
    running, _ = market
    trader = await _trader(running, ("coinbase",))
    response = await _place(
        running, trader.headers, symbol="XRP/USD", side="buy", type="market", quantity="100"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "no_credentials"

    await connect(running, trader, ("kraken",))
    response = await _place(
        running, trader.headers, symbol="XRP/USD", side="buy", type="market", quantity="100"
    )
    assert response.status_code == 202
    assert response.json()["venue"] == "kraken"


async def test_thin_book_partially_fills_and_the_rest_expires(
    market: tuple[RunningApp, BookTape],
):
    running, tape = market
    trader = await _trader(running, ("coinbase",))
    available = depth(tape.latest("coinbase", "SOL/USD"), "buy")
    # Each order passes the 2x-liquidity check on the published book, but together they take
    # more than the venue holds: the third finds the book already eaten by the first two.
    quantity = (available * Decimal("0.45")).quantize(Decimal("0.01"))
    ids = []
    for _ in range(3):
        response = await _place(
            running,
            trader.headers,
            symbol="SOL/USD",
            side="buy",
            type="market",
            quantity=str(quantity),
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    await running.settle()

    details = [
        (await running.client.get(f"/v1/orders/{i}", headers=trader.headers)).json() for i in ids
    ]
    # Execution places orders concurrently, so whichever reached the venue last finds it thin.
    assert sorted(d["status"] for d in details) == ["expired", "filled", "filled"]
    third = next(d for d in details if d["status"] == "expired")
    filled = Decimal(third["filled_quantity"])
    assert Decimal(0) < filled < quantity
    assert sum(Decimal(f["quantity"]) for f in third["fills"]) == filled
    # What was left of the book, give or take what refilled in the meantime.
    assert filled == pytest.approx(available - 2 * quantity, rel=Decimal("0.2"))


async def test_limit_order_away_from_the_market_rests_open(market: tuple[RunningApp, BookTape]):
    running, tape = market
    trader = await _trader(running, VENUES)
    far_below = (tape.latest("binance", "BTC/USD").bids[0].price / 2).quantize(Decimal("0.01"))
    response = await _place(
        running,
        trader.headers,
        symbol="BTC/USD",
        side="buy",
        type="limit",
        quantity="0.1",
        limit_price=str(far_below),
    )
    assert response.status_code == 202, response.text
    await running.settle()
    detail = (
        await running.client.get(f"/v1/orders/{response.json()['id']}", headers=trader.headers)
    ).json()
    assert detail["status"] == "accepted"
    assert detail["fills"] == []
    assert Decimal(detail["filled_quantity"]) == 0
    assert Decimal(detail["limit_price"]) == far_below


async def test_venue_refusal_is_reported_on_the_order(market: tuple[RunningApp, BookTape]):
    running, _ = market
    trader = await _trader(running, VENUES)
    # Below every venue's minimum BTC order size.
    response = await _place(
        running,
        trader.headers,
        symbol="BTC/USD",
        side="buy",
        type="market",
        quantity="0.000001",
    )
    assert response.status_code == 202, response.text
    await running.settle()
    detail = (
        await running.client.get(f"/v1/orders/{response.json()['id']}", headers=trader.headers)
    ).json()
    assert detail["status"] == "rejected"
    assert detail["reject_code"] == "order_too_small"
    assert detail["fills"] == []


def _parse_time(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


async def test_closing_a_position_named_by_execution_sells_it_where_it_is_held(
    market: tuple[RunningApp, BookTape],
):
    running, _ = market
    trader = await _trader(running, VENUES)
    response = await _place(
        running, trader.headers, symbol="ETH/USD", side="buy", type="market", quantity="2"
    )
    assert response.status_code == 202, response.text
    await running.settle()
    positions = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    held = next(p for p in positions if p["symbol"] == "ETH/USD" and p["status"] == "open")
    assert Decimal(held["quantity"]) == 2

    closed = await running.client.post(
        f"/v1/positions/{held['position_id']}/close", headers=trader.headers
    )
    assert closed.status_code == 202, closed.text
    await running.settle()
    detail = (
        await running.client.get(f"/v1/orders/{closed.json()['id']}", headers=trader.headers)
    ).json()
    assert (detail["side"], detail["signal"], detail["priority"]) == ("sell", "exit", 2)
    assert (detail["venue"], detail["status"]) == (held["venue"], "filled")
    after = (await running.client.get("/v1/positions", headers=trader.headers)).json()
    assert all(Decimal(p["quantity"]) == 0 for p in after if p["venue"] == held["venue"])
    # Execution is the one owner of positions: routing's own listing is gone.
    assert (
        await running.client.get("/v1/positions/net", headers=trader.headers)
    ).status_code == 404
    missing = await running.client.post(
        f"/v1/positions/{held['position_id']}/close", headers=trader.headers
    )
    assert missing.status_code == 404

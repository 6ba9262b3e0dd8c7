"""Big orders split across venues or sent as TWAP slices; venue faults re-route; admin view.

Routing runs alone; the test plays execution at the event seam (books in, fills and
rejections back), which makes every venue's book and every failure exactly what it says.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from prometheus_client import generate_latest

from modules.execution.contracts import OrderRejected
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp
from tests.routing.support import (
    Tap,
    Trader,
    admin_headers,
    announce,
    connect,
    fill_event,
    new_trader,
    order,
    publish_books,
    roomy,
    routing_only,
)

VENUES = ("coinbase", "kraken", "binance")


async def _trader(running: RunningApp, venues: tuple[str, ...] = VENUES) -> Trader:
    trader = new_trader(running)
    await connect(running, trader, venues)
    await roomy(running, trader)
    return trader


def _reject(routed: OrderRouted, code: str) -> OrderRejected:
    return OrderRejected(
        order_id=routed.order_id,
        user_id=routed.user_id,
        venue=routed.venue,
        code=code,
        reason=f"{routed.venue} said {code}",
    )


async def test_order_too_big_for_one_venue_is_split(
    make_settings: Any, database_url: str, monkeypatch: Any
):
    async with routing_only(
        make_settings, database_url, monkeypatch, twap_threshold_usd="1000000000"
    ) as (running, tap):
        trader = await _trader(running)
        # Every venue holds 10 BTC a side, so can take at most 5 (the 2x liquidity rule).
        response = await order(running, trader, quantity="12")
        assert response.status_code == 202, response.text
        parent = response.json()
        assert (parent["kind"], parent["status"], parent["venue"]) == ("split", "working", "split")
        await running.settle()
        children = tap.of(OrderRouted, parent_order_id=parent["id"])
        assert sum(c.quantity for c in children) == Decimal(12)
        assert sorted(c.venue for c in children) == sorted(VENUES)
        assert all(c.quantity <= 5 for c in children)
        # Cheapest first: Binance (0.1 %) and Kraken take all they can, Coinbase the rest.
        by_venue = {c.venue: c.quantity for c in children}
        assert by_venue == {"binance": 5, "kraken": 5, "coinbase": 2}

        route = (
            await running.client.get(f"/v1/orders/{parent['id']}/route", headers=trader.headers)
        ).json()
        assert route["kind"] == "split" and route["why"].startswith("split")
        assert {c["venue"] for c in route["children"]} == set(VENUES)
        assert all(
            c["reason"] == "insufficient_liquidity" for c in route["decisions"][0]["candidates"]
        )
        # The parent mirrors its children as they fill.
        for child in children:
            await announce(running, fill_event(child, Decimal(50010)))
        detail = (
            await running.client.get(f"/v1/orders/{parent['id']}", headers=trader.headers)
        ).json()
        assert (detail["status"], Decimal(detail["filled_quantity"])) == ("filled", 12)
        assert all(c["status"] == "filled" for c in detail["children"])


async def test_split_children_carry_their_cost_and_share_of_the_best_single_venue(
    make_settings: Any, database_url: str, monkeypatch: Any
):
    """8 BTC: each book (10 a side) could fill it alone, none with the 2x cover, so it is split;
    the children's shares of the cheapest lone venue's cost add up to that venue's cost."""
    async with routing_only(
        make_settings, database_url, monkeypatch, twap_threshold_usd="1000000000"
    ) as (running, tap):
        trader = await _trader(running)
        response = await order(running, trader, quantity="8")
        assert response.status_code == 202, response.text
        parent = response.json()
        assert parent["kind"] == "split"
        await running.settle()
        children = tap.of(OrderRouted, parent_order_id=parent["id"])
        assert len(children) >= 2 and sum(c.quantity for c in children) == 8
        route = (
            await running.client.get(f"/v1/orders/{parent['id']}/route", headers=trader.headers)
        ).json()
        whole = {
            c["venue"]: Decimal(c["expected_cost"])
            for c in route["decisions"][0]["candidates"]
            if c["expected_cost"] is not None
        }
        cheapest = min(whole, key=lambda venue: (whole[venue], venue))
        assert {c.best_single_venue for c in children} == {cheapest}
        assert sum(c.best_single_venue_cost or 0 for c in children) == whole[cheapest]
        for child in children:
            assert child.expected_cost is not None and child.expected_cost > 0


async def test_large_order_goes_out_as_twap_slices_and_resumes_after_restart(
    make_settings: Any, database_url: str, monkeypatch: Any
):
    env = {"twap_slices": 4, "twap_interval_seconds": 0.4, "twap_poll_seconds": 0.05}
    async with routing_only(make_settings, database_url, monkeypatch, **env) as (running, tap):
        trader = await _trader(running)
        response = await order(running, trader, quantity="0.5")  # 25,000 USD > 10,000
        assert response.status_code == 202, response.text
        parent = response.json()
        assert (parent["kind"], parent["status"]) == ("twap", "working")
        await _until(running, lambda: len(tap.of(OrderRouted, parent_order_id=parent["id"])) >= 1)
        await asyncio.sleep(0.1)
        sent_before_restart = len(tap.of(OrderRouted, parent_order_id=parent["id"]))
        assert 1 <= sent_before_restart < 4
    # The app stops mid-plan; a new one resumes it from the database.
    from app import create_app
    from tests.conftest import serve

    app = create_app(make_settings(modules=("routing",), market_tick_seconds=3600))
    tap2 = Tap().attach(app.state.runtime.pubsub, OrderRouted.TOPIC)
    async with serve(app) as running:
        await publish_books(running, ("BTC/USD",))
        await _until(running, lambda: _slices(tap, tap2, parent["id"]) >= 4, timeout=5)
        slices = sorted(
            tap.of(OrderRouted, parent_order_id=parent["id"])
            + tap2.of(OrderRouted, parent_order_id=parent["id"]),
            key=lambda e: e.occurred_at,
        )
        assert len(slices) == 4
        assert len({s.order_id for s in slices}) == 4
        assert sum(s.quantity for s in slices) == Decimal("0.5")
        gaps = [(b.occurred_at - a.occurred_at).total_seconds() for a, b in pairwise(slices)]
        # Spaced by the interval, give or take the scheduler's jitter on a loaded machine.
        assert all(gap >= 0.2 for gap in gaps), gaps
        await asyncio.sleep(0.5)
        assert _slices(tap, tap2, parent["id"]) == 4  # no fifth slice
        for child in slices:
            await announce(running, fill_event(child, Decimal(50005)))
        detail = (
            await running.client.get(f"/v1/orders/{parent['id']}", headers=trader.headers)
        ).json()
        assert (detail["status"], Decimal(detail["filled_quantity"])) == ("filled", Decimal("0.5"))


def _slices(tap: Tap, tap2: Tap, parent_id: str) -> int:
    return len(tap.of(OrderRouted, parent_order_id=parent_id)) + len(
        tap2.of(OrderRouted, parent_order_id=parent_id)
    )


async def _until(running: RunningApp, condition: Any, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await running.settle(rounds=1)
        await asyncio.sleep(0.02)


@pytest.fixture
async def alone(make_settings: Any, database_url: str, monkeypatch: Any) -> Any:
    # A generous order-rate burst: these tests place orders back to back on purpose.
    async with routing_only(make_settings, database_url, monkeypatch, order_rate_burst=100) as pair:
        yield pair


async def test_venue_fault_reroutes_to_the_next_venue_at_most_twice(
    alone: tuple[RunningApp, Tap],
):
    running, tap = alone
    trader = await _trader(running)
    response = await order(running, trader, quantity="0.05")
    order_id = response.json()["id"]
    await running.settle()
    first = tap.of(OrderRouted, order_id=order_id)[0]
    assert (first.venue, first.attempt) == ("binance", 0)

    await announce(running, _reject(first, "venue_unavailable"))
    second = [e for e in tap.events[OrderRouted.TOPIC] if e.attempt == 1]
    assert len(second) == 1
    second_order = second[0]
    assert second_order.venue == "kraken"  # the next cheapest
    assert second_order.order_id != order_id
    expected = uuid.uuid5(uuid.UUID("5b0f8a4e-6c1d-4f7e-9a51-2f3c7d9e1a00"), f"{order_id}:1")
    assert second_order.order_id == str(expected)
    assert second_order.client_order_id == f"nija-{expected.hex}"
    detail = (await running.client.get(f"/v1/orders/{order_id}", headers=trader.headers)).json()
    assert (detail["status"], detail["venue"], detail["attempt"]) == ("routed", "kraken", 1)

    # The same rejection redelivered changes nothing.
    await announce(running, _reject(first, "venue_unavailable"))
    assert len([e for e in tap.events[OrderRouted.TOPIC] if e.attempt >= 1]) == 1

    await announce(running, _reject(second_order, "breaker_open"))
    third = next(e for e in tap.events[OrderRouted.TOPIC] if e.attempt == 2)
    assert third.venue == "coinbase"
    await announce(running, _reject(third, "timeout"))
    await running.settle()
    assert not [e for e in tap.events[OrderRouted.TOPIC] if e.attempt == 3]

    detail = (await running.client.get(f"/v1/orders/{order_id}", headers=trader.headers)).json()
    assert (detail["status"], detail["reject_code"]) == ("rejected", "timeout")
    assert "after 2 re-routes" in detail["reject_reason"]
    assert [(a["venue"], a["failed_code"]) for a in detail["attempts"]] == [
        ("binance", "venue_unavailable"),
        ("kraken", "breaker_open"),
        ("coinbase", "timeout"),
    ]
    route = (
        await running.client.get(f"/v1/orders/{order_id}/route", headers=trader.headers)
    ).json()
    assert [d["attempt"] for d in route["decisions"]] == [0, 1, 2]
    failed_over = {c["venue"]: c["reason"] for c in route["decisions"][2]["candidates"]}
    assert failed_over == {"binance": "failed_over", "kraken": "failed_over", "coinbase": None}


async def test_order_fault_is_not_rerouted_and_a_rerouted_order_fills(
    alone: tuple[RunningApp, Tap],
):
    running, tap = alone
    trader = await _trader(running)
    refused = (await order(running, trader, quantity="0.05")).json()["id"]
    await running.settle()
    await announce(running, _reject(tap.of(OrderRouted, order_id=refused)[0], "invalid_quantity"))
    detail = (await running.client.get(f"/v1/orders/{refused}", headers=trader.headers)).json()
    assert (detail["status"], detail["reject_code"], detail["attempt"]) == (
        "rejected",
        "invalid_quantity",
        0,
    )

    order_id = (await order(running, trader, quantity="0.05")).json()["id"]
    await running.settle()
    await announce(running, _reject(tap.of(OrderRouted, order_id=order_id)[0], "rate_limited"))
    rerouted = next(e for e in tap.events[OrderRouted.TOPIC] if e.attempt == 1)
    await announce(running, fill_event(rerouted, Decimal(50004)))
    detail = (await running.client.get(f"/v1/orders/{order_id}", headers=trader.headers)).json()
    assert (detail["status"], detail["venue"]) == ("filled", rerouted.venue)
    assert Decimal(detail["filled_quantity"]) == Decimal("0.05")


async def test_route_view_and_admin_routing(alone: tuple[RunningApp, Tap]):
    running, tap = alone
    trader = await _trader(running)
    order_id = (await order(running, trader, quantity="0.05")).json()["id"]
    route = (
        await running.client.get(f"/v1/orders/{order_id}/route", headers=trader.headers)
    ).json()
    assert route["winner"] == "binance"
    assert "lowest score" in route["why"]
    candidates = {c["venue"]: c for c in route["decisions"][0]["candidates"]}
    assert set(candidates) == set(VENUES)
    for candidate in candidates.values():
        for factor in ("fee", "slippage", "latency_risk", "expected_cost", "score"):
            assert candidate[factor] is not None
    assert min(candidates.values(), key=lambda c: Decimal(c["score"]))["venue"] == "binance"
    other = new_trader(running)
    hidden = await running.client.get(f"/v1/orders/{order_id}/route", headers=other.headers)
    assert hidden.status_code == 404

    await running.settle()
    await announce(running, fill_event(tap.of(OrderRouted, order_id=order_id)[0], Decimal(50001)))
    forbidden = await running.client.get("/v1/admin/routing", headers=trader.headers)
    assert forbidden.status_code == 403
    overview = (
        await running.client.get("/v1/admin/routing", headers=admin_headers(running))
    ).json()
    assert overview["decisions"][0]["order_id"] == order_id
    assert overview["decisions"][0]["chosen"] == "binance"
    # The admin sees each candidate's factors exactly as the trader's route shows them.
    assert overview["decisions"][0]["candidates"] == route["decisions"][0]["candidates"]
    binance = next(v for v in overview["venues"] if v["venue"] == "binance")
    assert binance["routed_24h"] == 1
    assert binance["success_rate_by_pair"] == {"BTC/USD": 1.0}
    assert overview["global_kill_switch"] is False

    exposition = generate_latest(running.runtime.metrics.registry).decode()
    assert 'nija_trades_routed_total{kind="route",signal="entry",venue="binance"} 1.0' in exposition
    assert "nija_routing_latency_seconds_count" in exposition


async def test_measured_failures_steer_orders_away_from_a_venue(
    make_settings: Any, database_url: str, monkeypatch: Any
):
    """Binance is cheapest on the book, but after a run of venue faults Kraken wins."""
    async with routing_only(make_settings, database_url, monkeypatch, order_rate_burst=50) as (
        running,
        tap,
    ):
        await _steered(running, tap)


async def _steered(running: RunningApp, tap: Tap) -> None:
    trader = await _trader(running)
    venues = []
    for _ in range(7):
        order_id = (await order(running, trader, quantity="0.05")).json()["id"]
        await running.settle()
        first = tap.of(OrderRouted, order_id=order_id)[0]
        venues.append(first.venue)
        if first.venue != "binance":
            break
        await announce(running, _reject(first, "venue_error"))
    # Five measured failures are needed before the measurement replaces the book's figure.
    assert venues == ["binance"] * 5 + ["kraken"]
    route = (
        await running.client.get(f"/v1/orders/{order_id}/route", headers=trader.headers)
    ).json()
    candidates = {c["venue"]: c for c in route["decisions"][0]["candidates"]}
    assert route["winner"] == "kraken"
    assert candidates["binance"]["success_rate"] == 0.0
    assert Decimal(candidates["binance"]["expected_cost"]) < Decimal(
        candidates["kraken"]["expected_cost"]
    )


async def test_open_breaker_makes_a_venue_ineligible(alone: tuple[RunningApp, Tap]):
    from modules.execution.contracts import VenueHealthChanged

    running, _ = alone
    trader = await _trader(running)

    def health(state: str) -> VenueHealthChanged:
        return VenueHealthChanged(
            venue="binance",
            breaker_state=state,  # type: ignore[arg-type]
            success_rate=0.4,
            queue_depth=3,
            latency_p50_ms=40.0,
            latency_p99_ms=900.0,
        )

    await announce(running, health("open"))
    order_id = (await order(running, trader, quantity="0.05")).json()["id"]
    route = (
        await running.client.get(f"/v1/orders/{order_id}/route", headers=trader.headers)
    ).json()
    candidates = {c["venue"]: c for c in route["decisions"][0]["candidates"]}
    assert candidates["binance"]["reason"] == "breaker_open"
    assert route["winner"] == "kraken"
    overview = (
        await running.client.get("/v1/admin/routing", headers=admin_headers(running))
    ).json()
    assert {v["venue"]: v["breaker_state"] for v in overview["venues"]}["binance"] == "open"

    await announce(running, health("closed"))
    order_id = (await order(running, trader, quantity="0.05")).json()["id"]
    route = (
        await running.client.get(f"/v1/orders/{order_id}/route", headers=trader.headers)
    ).json()
    binance = next(c for c in route["decisions"][0]["candidates"] if c["venue"] == "binance")
    # Eligible again, scored with execution's reported success rate and queue depth.
    assert binance["eligible"] is True
    assert (binance["success_rate"], binance["queue_load"]) == (0.4, 3)

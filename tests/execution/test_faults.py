"""Venue faults: circuit breaker, ambiguous timeouts, auto-disable, and the admin surface."""

from __future__ import annotations

import asyncio
from typing import Any

from modules.execution.contracts import (
    CredentialUnsealed,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    UserTradingPaused,
    UserTradingResumed,
    VenueHealthChanged,
)
from modules.execution.domain.breaker import BreakerPolicy
from modules.execution.service.circuit_breaker import FRESH_SECONDS, CircuitBreaker
from tests.conftest import RunningApp
from tests.execution.support import admin_headers, routed, rows, set_faults, sim, statuses
from tests.routing.support import Tap, Trader, announce, connect, new_trader

TOPICS = (
    CredentialUnsealed,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    UserTradingPaused,
    UserTradingResumed,
    VenueHealthChanged,
)


def tap(running: RunningApp) -> Tap:
    return Tap().attach(running, *(t.TOPIC for t in TOPICS))


async def traders(running: RunningApp, count: int, venue: str) -> list[Trader]:
    made = [new_trader(running) for _ in range(count)]
    for trader in made:
        await connect(running, trader, (venue,))
    return made


async def venue_view(running: RunningApp, venue: str) -> dict[str, Any]:
    response = await running.client.get("/v1/admin/venues", headers=admin_headers(running))
    assert response.status_code == 200, response.text
    return next(v for v in response.json() if v["venue"] == venue)


async def test_breaker_opens_at_five_failures_and_a_probe_closes_it(running: RunningApp) -> None:
    events = tap(running)
    await set_faults(running, "binance", error_rate=1, breaker_cooldown_seconds=0.3)
    # One order per trader, so no single user reaches the auto-disable threshold.
    people = await traders(running, 7, "binance")
    failing = [routed(t, "binance") for t in people[:5]]
    for order in failing:
        await announce(running, order)
    assert [events.of(OrderRejected, order_id=o.order_id)[0].code for o in failing] == [
        "venue_unavailable"
    ] * 5
    assert (await venue_view(running, "binance"))["breaker_state"] == "open"
    assert any(h.breaker_state == "open" for h in events.of(VenueHealthChanged, venue="binance"))

    # Open: refused without reaching the venue, with a code routing fails over on, and
    # without its credential handed out to be opened.
    attempts = sum(sim(running, "binance").attempts.values())
    blocked = routed(people[5], "binance")
    await announce(running, blocked)
    assert events.of(OrderRejected, order_id=blocked.order_id)[0].code == "breaker_open"
    assert sum(sim(running, "binance").attempts.values()) == attempts
    assert not events.of(CredentialUnsealed, order_id=blocked.order_id)
    assert events.of(CredentialUnsealed, order_id=failing[0].order_id)

    # After the cooldown one probe goes through; the venue has recovered, so it closes.
    await set_faults(running, "binance", breaker_cooldown_seconds=0.3)
    await asyncio.sleep(0.35)
    probe = routed(people[6], "binance")
    await announce(running, probe)
    assert events.of(OrderAccepted, order_id=probe.order_id)
    assert (await venue_view(running, "binance"))["breaker_state"] == "closed"


async def test_a_failed_probe_reopens_the_breaker(running: RunningApp) -> None:
    events = tap(running)
    await set_faults(running, "kraken", error_rate=1, breaker_cooldown_seconds=0.3)
    people = await traders(running, 7, "kraken")
    for trader in people[:5]:
        await announce(running, routed(trader, "kraken"))
    await asyncio.sleep(0.35)
    probe = routed(people[5], "kraken")
    await announce(running, probe)
    assert events.of(OrderRejected, order_id=probe.order_id)[0].code == "venue_unavailable"
    after = routed(people[6], "kraken")
    await announce(running, after)
    assert events.of(OrderRejected, order_id=after.order_id)[0].code == "breaker_open"
    assert (await venue_view(running, "kraken"))["breaker_state"] == "open"


async def test_half_open_admits_exactly_one_probe_across_replicas(running: RunningApp) -> None:
    # Several breakers on one state store stand for replicas sharing the venue's breaker.
    state = running.runtime.state("execution")
    policy = BreakerPolicy(cooldown_seconds=0.0)
    replicas = [CircuitBreaker(state, "coinbase-test", policy) for _ in range(8)]
    for _ in range(5):
        await replicas[0].failure(probe=False)
    assert (await replicas[3].read()).state == "open"
    admissions = await asyncio.gather(*(r.admit() for r in replicas))
    assert sorted(admissions).count("probe") == 1
    assert set(admissions) == {"probe", "reject"}


async def test_a_closed_breaker_admits_from_memory_and_sees_another_replicas_trip_soon(
    running: RunningApp,
) -> None:
    state = running.runtime.state("execution")
    ticks = [0.0]
    mine = CircuitBreaker(state, "kraken-fresh", BreakerPolicy(), monotonic=lambda: ticks[0])
    other = CircuitBreaker(state, "kraken-fresh", BreakerPolicy())
    assert await mine.admit() == "pass"  # reads the shared state once
    for _ in range(5):
        await other.failure(probe=False)  # the other replica trips it
    ticks[0] += FRESH_SECONDS / 2
    assert await mine.admit() == "pass", "a fresh view admits without reading"
    ticks[0] += FRESH_SECONDS
    assert await mine.admit() == "reject", "a stale view is read again"
    await mine.reset()
    assert await mine.admit() == "pass"


async def test_admin_resets_a_breaker(running: RunningApp) -> None:
    await set_faults(running, "coinbase", error_rate=1)
    for trader in await traders(running, 5, "coinbase"):
        await announce(running, routed(trader, "coinbase"))
    assert (await venue_view(running, "coinbase"))["breaker_state"] == "open"
    await set_faults(running, "coinbase")
    response = await running.client.post(
        "/v1/admin/venues/coinbase/breaker/reset", headers=admin_headers(running)
    )
    assert response.status_code == 200 and response.json()["breaker_state"] == "closed"
    (trader,) = await traders(running, 1, "coinbase")
    order = routed(trader, "coinbase")
    await announce(running, order)
    assert (await statuses(running, [order.order_id]))[order.order_id] == "filled"


async def test_timeouts_are_resolved_by_lookup_never_by_sending_again(
    running: RunningApp,
) -> None:
    events = tap(running)
    await set_faults(running, "kraken", timeout_rate=1)
    venue = sim(running, "kraken")
    people = await traders(running, 8, "kraken")
    orders = [routed(t, "kraken") for t in people]
    outcomes: dict[str, str] = {}
    for index, order in enumerate(orders):
        if index % 4 == 0:
            # Stay under the breaker's threshold: each timeout counts as a venue failure.
            await running.client.post(
                "/v1/admin/venues/kraken/breaker/reset", headers=admin_headers(running)
            )
        await announce(running, order)
        outcomes[order.order_id] = (await statuses(running, [order.order_id]))[order.order_id]
    at_venue = {
        r["client_order_id"]: r["n"]
        for r in await rows(
            running,
            "SELECT client_order_id, count(*) AS n FROM execution.sim_orders "
            "WHERE client_order_id = ANY($1) GROUP BY client_order_id",
            [o.client_order_id for o in orders],
        )
    }
    for order in orders:
        assert venue.attempts[order.client_order_id] == 1  # sent once, never again
        if order.client_order_id in at_venue:
            # The venue took it although we heard nothing: found by client order id.
            assert at_venue[order.client_order_id] == 1
            assert outcomes[order.order_id] == "filled"
            assert len(events.of(OrderAccepted, order_id=order.order_id)) == 1
        else:
            assert outcomes[order.order_id] == "rejected"
            assert events.of(OrderRejected, order_id=order.order_id)[0].code == "timeout"
    # Both sides of the ambiguity happened (the fault dice are seeded).
    assert 0 < len(at_venue) < len(orders)


async def test_five_consecutive_exchange_errors_pause_the_user_until_an_admin_resumes(
    running: RunningApp,
) -> None:
    events = tap(running)
    await set_faults(running, "coinbase", error_rate=1)
    (trader,) = await traders(running, 1, "coinbase")
    for _ in range(5):
        await announce(running, routed(trader, "coinbase"))
    (paused,) = events.of(UserTradingPaused, user_id=trader.user_id)
    assert paused.reason == "consecutive_errors"

    await set_faults(running, "coinbase")
    await running.client.post(
        "/v1/admin/venues/coinbase/breaker/reset", headers=admin_headers(running)
    )
    refused = routed(trader, "coinbase")
    await announce(running, refused)
    assert events.of(OrderRejected, order_id=refused.order_id)[0].code == "user_paused"

    url = f"/v1/admin/users/{trader.user_id}/trading/resume"
    assert (await running.client.post(url, headers=trader.headers)).status_code == 403
    response = await running.client.post(url, headers=admin_headers(running))
    assert response.status_code == 200 and response.json()["paused"] is False
    await running.settle()
    assert events.of(UserTradingResumed, user_id=trader.user_id)
    again = routed(trader, "coinbase")
    await announce(running, again)
    assert (await statuses(running, [again.order_id]))[again.order_id] == "filled"


async def test_a_success_resets_the_error_run(running: RunningApp) -> None:
    events = tap(running)
    (trader,) = await traders(running, 1, "kraken")
    for _round in range(2):
        await set_faults(running, "kraken", error_rate=1)
        for _ in range(3):
            await announce(running, routed(trader, "kraken"))
        await set_faults(running, "kraken")
        await running.client.post(
            "/v1/admin/venues/kraken/breaker/reset", headers=admin_headers(running)
        )
        await announce(running, routed(trader, "kraken"))
    assert not events.of(UserTradingPaused, user_id=trader.user_id)


async def test_fault_endpoint_is_admin_only_and_validated(running: RunningApp) -> None:
    trader = new_trader(running)
    url = "/v1/admin/venues/kraken/faults"
    assert (await running.client.post(url, json={})).status_code == 401
    assert (await running.client.post(url, json={}, headers=trader.headers)).status_code == 403
    admin = admin_headers(running)
    bad = await running.client.post(url, json={"error_rate": 2}, headers=admin)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem")
    unknown = await running.client.post("/v1/admin/venues/mtgox/faults", json={}, headers=admin)
    assert unknown.status_code == 404
    assert (await running.client.get("/v1/admin/venues", headers=trader.headers)).status_code == 403


async def test_rate_limited_venue_answers_are_rejected_as_venue_faults(
    running: RunningApp,
) -> None:
    events = tap(running)
    await set_faults(running, "binance", rate_limit_rate=1)
    (trader,) = await traders(running, 1, "binance")
    order = routed(trader, "binance")
    await announce(running, order)
    assert events.of(OrderRejected, order_id=order.order_id)[0].code == "rate_limited"
    metrics = (await running.client.get("/metrics")).text
    assert 'nija_executions_total{outcome="rate_limited",venue="binance"}' in metrics
    assert "nija_executor_queue_depth" in metrics


async def test_venue_health_is_reported_every_tick_with_queue_and_latency(
    running: RunningApp,
) -> None:
    events = tap(running)
    (trader,) = await traders(running, 1, "kraken")
    for _ in range(3):
        await announce(running, routed(trader, "kraken"))
    await asyncio.sleep(0.5)  # the test tick is 0.2 s
    await running.settle()
    reports = events.of(VenueHealthChanged, venue="kraken")
    assert len(reports) >= 2
    latest = reports[-1]
    assert latest.breaker_state == "closed" and latest.success_rate == 1.0
    assert latest.queue_depth == 0 and 0 < latest.latency_p50_ms <= latest.latency_p99_ms
    assert {h.venue for h in events.of(VenueHealthChanged)} == {"coinbase", "kraken", "binance"}
    view = await venue_view(running, "kraken")
    assert view["latency_p99_ms"] > 0 and view["queue_depth"] == 0

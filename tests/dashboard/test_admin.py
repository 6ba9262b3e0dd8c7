"""The admin's dashboard over HTTP: the overview, and a user's orders and push devices."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modules.execution.contracts import OrderRejected, VenueHealthChanged
from modules.identity.contracts import UserRegistered, UserSuspended, UserTierChanged
from modules.strategy.contracts import BotStatusChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import accepted, filled, publish, routed
from tests.dashboard.push_helpers import (
    admin,
    dashboard_with_expo,
    fast_pushes,
    register_device,
    trader,
)
from tests.fakes.expo import FakeExpo
from tests.test_bad_input import assert_problem


@pytest.fixture
async def running(
    make_settings: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningApp]:
    fast_pushes(monkeypatch)
    async with FakeExpo() as expo, dashboard_with_expo(make_settings, database_url, expo) as app:
        yield app


async def test_the_overview_of_an_empty_platform(running: RunningApp) -> None:
    response = await running.client.get("/v1/admin/overview", headers=admin(running))
    assert response.status_code == 200, response.text
    overview = response.json()
    assert overview["users"] == {"total": 0, "by_tier": {}, "by_status": {}}
    assert overview["bots"] == {"running": 0, "paused": 0, "off": 0}
    assert overview["trading"] == {
        "volume_24h": "0",
        "trades_24h": 0,
        "orders_24h": 0,
        "orders_per_minute": "0.00",
        "error_rate": 0.0,
    }
    assert overview["order_path"] == {"samples": 0, "p50_ms": None, "p99_ms": None}
    assert overview["venues"] == {
        "breakers": {"closed": 0, "half_open": 0, "open": 0, "stale": 0},
        "venues": [],
    }


async def test_the_overview_counts_users_bots_trading_latency_and_venues(
    running: RunningApp,
) -> None:
    users = [str(uuid.uuid4()) for _ in range(4)]
    await publish(
        running,
        UserRegistered(user_id=users[0], role="trader", tier="basic"),
        UserRegistered(user_id=users[1], role="trader", tier="basic"),
        UserRegistered(user_id=users[2], role="trader", tier="pro"),
        UserRegistered(user_id=users[3], role="admin", tier="enterprise"),
        UserTierChanged(user_id=users[1], tier="pro"),
        UserSuspended(user_id=users[0], reason="chargeback"),
        BotStatusChanged(user_id=users[1], status="running", previous="off"),
        BotStatusChanged(user_id=users[2], status="running", previous="off"),
        BotStatusChanged(
            user_id=users[2], status="paused", previous="running", reason="kill switch"
        ),
    )
    now = datetime.now(UTC)
    first = routed(users[1], quantity=Decimal("0.5"), occurred_at=now - timedelta(seconds=2))
    second = routed(users[2], quantity=Decimal("0.1"), occurred_at=now - timedelta(seconds=1))
    refused = routed(users[2], quantity=Decimal("1"))
    await publish(running, first, accepted(first), second, accepted(second), refused)
    await publish(
        running,
        filled(first, quantity="0.5", price="60000", cumulative="0.5", average="60000"),
        filled(second, quantity="0.1", price="3000", cumulative="0.1", average="3000"),
        OrderRejected(
            order_id=refused.order_id, user_id=users[2], venue="kraken", code="x", reason="no"
        ),
        VenueHealthChanged(
            venue="kraken",
            breaker_state="closed",
            success_rate=0.99,
            queue_depth=2,
            latency_p50_ms=40.0,
            latency_p99_ms=120.0,
        ),
        VenueHealthChanged(
            venue="binance",
            breaker_state="open",
            success_rate=0.2,
            queue_depth=9,
            latency_p50_ms=300.0,
            latency_p99_ms=900.0,
        ),
    )
    overview = (await running.client.get("/v1/admin/overview", headers=admin(running))).json()
    assert overview["users"] == {
        "total": 4,
        "by_tier": {"basic": 1, "pro": 2, "enterprise": 1},
        "by_status": {"active": 3, "suspended": 1},
    }
    assert overview["bots"] == {"running": 1, "paused": 1, "off": 0}
    trading = overview["trading"]
    assert Decimal(trading["volume_24h"]) == Decimal("30300")
    assert trading["trades_24h"] == 2 and trading["orders_24h"] == 3
    assert trading["orders_per_minute"] == "0.20"  # 3 orders over 15 minutes
    assert trading["error_rate"] == pytest.approx(1 / 3, abs=1e-4)
    path = overview["order_path"]
    assert path["samples"] == 2
    assert 900 < path["p50_ms"] < 60_000 and path["p99_ms"] >= path["p50_ms"]
    assert overview["venues"]["breakers"] == {"closed": 1, "half_open": 0, "open": 1, "stale": 0}
    assert [v["venue"] for v in overview["venues"]["venues"]] == ["binance", "kraken"]
    assert overview["venues"]["venues"][1]["latency_p99_ms"] == 120.0


async def test_admin_endpoints_refuse_traders_and_admins_without_a_second_factor(
    running: RunningApp,
) -> None:
    user_id, headers = trader(running)
    paths = [
        "/v1/admin/overview",
        f"/v1/admin/users/{user_id}/orders",
        f"/v1/admin/users/{user_id}/push-devices",
    ]
    for path in paths:
        assert_problem(await running.client.get(path, headers=headers), 403, "admin_required")
        assert_problem(
            await running.client.get(path, headers=admin(running, second_factor=False)),
            403,
            "second_factor_required_for_admin",
        )
        assert_problem(await running.client.get(path), 401)


async def test_a_users_orders_and_push_devices_for_support(running: RunningApp) -> None:
    client = running.client
    user_id, headers = trader(running)
    other_id, other = trader(running)
    order = routed(user_id)
    await publish(running, order, accepted(order))
    device = await register_device(running, headers)
    await register_device(running, other)
    staff = admin(running)

    orders = (await client.get(f"/v1/admin/users/{user_id}/orders", headers=staff)).json()
    assert [o["id"] for o in orders["items"]] == [order.order_id]
    devices = (await client.get(f"/v1/admin/users/{user_id}/push-devices", headers=staff)).json()
    assert [d["id"] for d in devices["items"]] == [device["id"]]
    assert "expo_push_token" not in devices["items"][0]
    # Known to the dashboard, but without orders: an empty list.
    assert (await client.get(f"/v1/admin/users/{other_id}/orders", headers=staff)).json() == {
        "items": []
    }
    # Nobody the dashboard knows: 404.
    nobody = uuid.uuid4()
    for path in (f"/v1/admin/users/{nobody}/orders", f"/v1/admin/users/{nobody}/push-devices"):
        assert_problem(await client.get(path, headers=staff), 404, "user_not_found")
    # Not a user id at all.
    response = await client.get("/v1/admin/users/not-a-uuid/orders", headers=staff)
    assert 400 <= response.status_code < 500
    response = await client.get(f"/v1/admin/users/{user_id}/orders?limit=0", headers=staff)
    assert_problem(response, 400)

    # Revoking a device is an action on access: it needs a fresh step-up.
    path = f"/v1/admin/users/{user_id}/push-devices/{device['id']}"
    assert_problem(
        await client.delete(path, headers=admin(running, proved=False)), 403, "step_up_required"
    )
    wrong_user = f"/v1/admin/users/{other_id}/push-devices/{device['id']}"
    assert_problem(await client.delete(wrong_user, headers=staff), 404, "push_device_not_found")
    assert (await client.delete(path, headers=staff)).status_code == 204
    assert (await client.get("/v1/push/devices", headers=headers)).json() == {"items": []}
    assert len((await client.get("/v1/push/devices", headers=other)).json()["items"]) == 1

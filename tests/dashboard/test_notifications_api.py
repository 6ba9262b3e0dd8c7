"""Notifications over HTTP: unread count, mark all read, preferences, push devices, price alerts
(and their firing from execution's bars and books)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import modules.dashboard.config as config
from modules.execution.contracts import BarClosed, BookLevel, VenueBookUpdated
from modules.identity.contracts import SecurityEventRaised, UserProfileChanged
from tests.conftest import RunningApp
from tests.dashboard.helpers import publish
from tests.dashboard.push_helpers import (
    dashboard_with_expo,
    fast_pushes,
    new_token,
    register_device,
    trader,
)
from tests.fakes.expo import FakeExpo
from tests.test_bad_input import assert_problem


@pytest.fixture
async def expo() -> AsyncIterator[FakeExpo]:
    async with FakeExpo() as fake:
        yield fake


@pytest.fixture
async def running(
    make_settings: Any, database_url: str, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningApp]:
    fast_pushes(monkeypatch)
    async with dashboard_with_expo(make_settings, database_url, expo) as app:
        yield app


# ---- unread count, mark all read -----------------------------------------------------------


async def test_unread_count_and_mark_all_read(running: RunningApp) -> None:
    client = running.client
    user_id, headers = trader(running)
    other_id, other = trader(running)
    kinds = ("new_device", "lockout", "password_changed")
    await publish(running, *(SecurityEventRaised(user_id=user_id, kind=k) for k in kinds))
    await publish(running, SecurityEventRaised(user_id=other_id, kind="lockout"))
    assert (await client.get("/v1/notifications/unread-count", headers=headers)).json() == {
        "unread": 3
    }
    first = (await client.get("/v1/notifications", headers=headers)).json()["items"][0]
    read = await client.post(f"/v1/notifications/{first['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"]
    assert (await client.get("/v1/notifications/unread-count", headers=headers)).json() == {
        "unread": 2
    }
    marked = await client.post("/v1/notifications/read-all", headers=headers)
    assert marked.status_code == 200 and marked.json() == {"marked": 2, "unread": 0}
    listed = (await client.get("/v1/notifications", headers=headers)).json()
    assert listed["unread"] == 0 and all(n["read_at"] for n in listed["items"])
    assert all(n["url"] == "/settings" for n in listed["items"])
    # The other user's stays unread; their notification is not this user's to mark.
    assert (await client.get("/v1/notifications/unread-count", headers=other)).json() == {
        "unread": 1
    }
    theirs = (await client.get("/v1/notifications", headers=other)).json()["items"][0]
    assert_problem(
        await client.post(f"/v1/notifications/{theirs['id']}/read", headers=headers),
        404,
        "notification_not_found",
    )
    again = await client.post("/v1/notifications/read-all", headers=headers)
    assert again.json() == {"marked": 0, "unread": 0}


async def test_notification_endpoints_need_a_token(running: RunningApp) -> None:
    for method, path in (
        ("GET", "/v1/notifications/unread-count"),
        ("POST", "/v1/notifications/read-all"),
        ("GET", "/v1/notifications/preferences"),
        ("GET", "/v1/push/devices"),
        ("GET", "/v1/price-alerts"),
    ):
        assert_problem(await running.client.request(method, path), 401)


# ---- preferences ---------------------------------------------------------------------------


async def test_preferences_default_change_and_keep_what_is_left_out(running: RunningApp) -> None:
    client = running.client
    user_id, headers = trader(running)
    defaults = (await client.get("/v1/notifications/preferences", headers=headers)).json()
    assert defaults == {
        "push_enabled": True,
        "trade_alerts": True,
        "price_alerts": True,
        "bot_alerts": True,
        "daily_summary": True,
        "daily_summary_time": "20:00",
        "timezone": "UTC",
    }
    await publish(
        running,
        UserProfileChanged(
            user_id=user_id, display_name="Ana", timezone="Europe/Lisbon", locale="pt-PT"
        ),
    )
    changed = await client.put(
        "/v1/notifications/preferences",
        json={"price_alerts": False, "daily_summary_time": "07:45"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        **defaults,
        "price_alerts": False,
        "daily_summary_time": "07:45",
        "timezone": "Europe/Lisbon",
    }
    again = await client.put(
        "/v1/notifications/preferences", json={"trade_alerts": False}, headers=headers
    )
    assert again.json()["price_alerts"] is False and again.json()["trade_alerts"] is False
    _, other = trader(running)
    assert (await client.get("/v1/notifications/preferences", headers=other)).json() == defaults


@pytest.mark.parametrize(
    "body",
    [
        {"daily_summary_time": "24:00"},
        {"daily_summary_time": "7:45"},
        {"daily_summary_time": "07:45:00"},
        {"push_enabled": "yes"},
        {"push_enabled": 1},
        {"sms": True},
        [],
    ],
)
async def test_bad_preferences_are_refused(running: RunningApp, body: Any) -> None:
    _, headers = trader(running)
    response = await running.client.put("/v1/notifications/preferences", json=body, headers=headers)
    assert_problem(response, response.status_code)
    assert 400 <= response.status_code < 500


# ---- push devices --------------------------------------------------------------------------


async def test_push_devices_register_idempotently_list_and_revoke(running: RunningApp) -> None:
    client = running.client
    _, headers = trader(running)
    token, newer = new_token(), new_token()
    body = {"expo_push_token": token, "platform": "ios", "device_id": "iphone-15"}
    created = await client.post("/v1/push/devices", json=body, headers=headers)
    assert created.status_code == 201, created.text
    device = created.json()
    assert device["token_hint"] == f"ExponentPushToken[...{token[-5:-1]}]"
    assert set(device) == {
        "id",
        "device_id",
        "platform",
        "token_hint",
        "created_at",
        "updated_at",
        "last_sent_at",
    }
    same = await client.post(
        "/v1/push/devices", json={**body, "expo_push_token": newer}, headers=headers
    )
    assert same.status_code == 200 and same.json()["id"] == device["id"]
    assert same.json()["token_hint"].endswith(f"{newer[-5:-1]}]")
    listed = (await client.get("/v1/push/devices", headers=headers)).json()["items"]
    assert [d["id"] for d in listed] == [device["id"]]

    _, other = trader(running)
    assert (await client.get("/v1/push/devices", headers=other)).json() == {"items": []}
    assert_problem(
        await client.delete(f"/v1/push/devices/{device['id']}", headers=other),
        404,
        "push_device_not_found",
    )
    assert_problem(
        await client.delete("/v1/push/devices/not-a-uuid", headers=headers),
        404,
        "push_device_not_found",
    )
    assert (
        await client.delete(f"/v1/push/devices/{device['id']}", headers=headers)
    ).status_code == 204
    assert (await client.get("/v1/push/devices", headers=headers)).json() == {"items": []}


async def test_a_token_registered_by_another_account_moves_to_it(running: RunningApp) -> None:
    _, first = trader(running)
    _, second = trader(running)
    token = new_token()
    await register_device(running, first, token, device_id="shared-phone")
    await register_device(running, second, token, device_id="shared-phone")
    assert (await running.client.get("/v1/push/devices", headers=first)).json() == {"items": []}
    assert len((await running.client.get("/v1/push/devices", headers=second)).json()["items"]) == 1


async def test_a_user_has_a_bounded_number_of_devices(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "MAX_PUSH_DEVICES_PER_USER", 2)
    _, headers = trader(running)
    await register_device(running, headers)
    await register_device(running, headers)
    body = {"expo_push_token": new_token(), "platform": "android", "device_id": "third"}
    refused = await running.client.post("/v1/push/devices", json=body, headers=headers)
    assert_problem(refused, 409, "too_many_push_devices")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"expo_push_token": "not-a-token", "platform": "ios", "device_id": "d"}, 422),
        ({"expo_push_token": "ExponentPushToken[short]", "platform": "ios", "device_id": "d"}, 422),
        (
            {
                "expo_push_token": "ExponentPushToken[" + "a" * 300 + "]",
                "platform": "ios",
                "device_id": "d",
            },
            400,
        ),
        (
            {
                "expo_push_token": "ExponentPushToken[abcdefghijkl]",
                "platform": "windows",
                "device_id": "d",
            },
            400,
        ),
        ({"expo_push_token": "ExponentPushToken[abcdefghijkl]", "platform": "ios"}, 400),
        (
            {
                "expo_push_token": "ExponentPushToken[abcdefghijkl]",
                "platform": "ios",
                "device_id": "a b",
            },
            400,
        ),
        (
            {
                "expo_push_token": "ExponentPushToken[abcdefghijkl]",
                "platform": "ios",
                "device_id": "d",
                "x": 1,
            },
            400,
        ),
    ],
)
async def test_bad_device_registrations_are_refused(
    running: RunningApp, body: dict[str, Any], status: int
) -> None:
    _, headers = trader(running)
    response = await running.client.post("/v1/push/devices", json=body, headers=headers)
    problem = assert_problem(response, status)
    assert "ExponentPushToken[abcdefghijkl]" not in str(problem)


# ---- price alerts --------------------------------------------------------------------------


async def test_price_alerts_create_list_delete(running: RunningApp) -> None:
    client = running.client
    _, headers = trader(running)
    created = await client.post(
        "/v1/price-alerts",
        json={"symbol": "btc-usd", "direction": "above", "price": "70000", "venue": "kraken"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    alert = created.json()
    assert alert["symbol"] == "BTC/USD" and alert["status"] == "armed"
    assert alert["price"] == "70000" and alert["venue"] == "kraken"
    other_alert = (
        await client.post(
            "/v1/price-alerts",
            json={"symbol": "ETH/USD", "direction": "below", "price": "2000.5"},
            headers=headers,
        )
    ).json()
    listed = (await client.get("/v1/price-alerts", headers=headers)).json()["items"]
    assert [a["id"] for a in listed] == [other_alert["id"], alert["id"]]

    _, other = trader(running)
    assert (await client.get("/v1/price-alerts", headers=other)).json() == {"items": []}
    assert_problem(
        await client.delete(f"/v1/price-alerts/{alert['id']}", headers=other),
        404,
        "price_alert_not_found",
    )
    assert (
        await client.delete(f"/v1/price-alerts/{alert['id']}", headers=headers)
    ).status_code == 204
    assert_problem(
        await client.delete(f"/v1/price-alerts/{alert['id']}", headers=headers),
        404,
        "price_alert_not_found",
    )
    listed = (await client.get("/v1/price-alerts", headers=headers)).json()["items"]
    assert [a["id"] for a in listed] == [other_alert["id"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"symbol": "BTCUSD", "direction": "above", "price": "1"}, 422, "invalid_symbol"),
        ({"symbol": "BTC/USD", "direction": "sideways", "price": "1"}, 400, None),
        ({"symbol": "BTC/USD", "direction": "above", "price": "-5"}, 400, None),
        ({"symbol": "BTC/USD", "direction": "above", "price": "0"}, 400, None),
        ({"symbol": "BTC/USD", "direction": "above"}, 400, None),
        ({"symbol": "BTC/USD", "direction": "above", "price": "1", "venue": "Kraken!"}, 400, None),
        (
            {"symbol": "BTC/USD", "direction": "above", "price": "1.0000000000001"},
            422,
            "too_many_decimals",
        ),
    ],
)
async def test_bad_price_alerts_are_refused(
    running: RunningApp, body: dict[str, Any], status: int, code: str | None
) -> None:
    _, headers = trader(running)
    response = await running.client.post("/v1/price-alerts", json=body, headers=headers)
    assert_problem(response, status, code)


def _bar(
    symbol: str, low: str, high: str, *, venue: str = "kraken", minutes_ago: int = 1
) -> BarClosed:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes_ago)
    return BarClosed(
        venue=venue,
        symbol=symbol,
        timeframe="1m",
        start=start,
        open=Decimal(low),
        high=Decimal(high),
        low=Decimal(low),
        close=Decimal(high),
        volume=Decimal("3"),
    )


async def test_a_price_alert_fires_once_when_a_bar_reaches_it(
    running: RunningApp, expo: FakeExpo
) -> None:
    client = running.client
    _user_id, headers = trader(running)
    token = new_token()
    await register_device(running, headers, token)
    body = {"symbol": "BTC/USD", "direction": "above", "price": "70000", "venue": "kraken"}
    alert = (await client.post("/v1/price-alerts", json=body, headers=headers)).json()
    # A bar that ended before the alert was set, another venue, and a bar under the level: no.
    await publish(
        running,
        _bar("BTC/USD", "69000", "71000", minutes_ago=3),
        _bar("BTC/USD", "69000", "71000", venue="binance", minutes_ago=0),
        _bar("BTC/USD", "69000", "69999", minutes_ago=0),
    )
    assert (await client.get("/v1/price-alerts", headers=headers)).json()["items"][0][
        "status"
    ] == "armed"
    await publish(running, _bar("BTC/USD", "69500", "70100", minutes_ago=0))
    await publish(running, _bar("BTC/USD", "69500", "70300", minutes_ago=0))
    [push] = await expo.wait_for(1)
    assert push.title == "BTC/USD above $70,000"
    assert push.body == "BTC/USD is at $70,000 on kraken."
    assert push.data == {"type": "price_alert", "url": "/"}
    [fired] = (await client.get("/v1/price-alerts", headers=headers)).json()["items"]
    assert fired["id"] == alert["id"] and fired["status"] == "triggered"
    assert fired["triggered_price"] == "70000" and fired["triggered_venue"] == "kraken"
    notes = (await client.get("/v1/notifications", headers=headers)).json()["items"]
    assert [n["kind"] for n in notes] == ["price_alert.triggered"]
    await asyncio.sleep(0.3)
    assert len(expo.messages) == 1


async def test_a_below_alert_fires_from_a_book_on_any_venue(
    running: RunningApp, expo: FakeExpo
) -> None:
    _user_id, headers = trader(running)
    await running.client.put(
        "/v1/notifications/preferences", json={"price_alerts": False}, headers=headers
    )
    await register_device(running, headers)
    body = {"symbol": "ETH/USD", "direction": "below", "price": "2000"}
    await running.client.post("/v1/price-alerts", json=body, headers=headers)
    book = VenueBookUpdated(
        venue="binance",
        symbol="ETH/USD",
        bids=[BookLevel(Decimal("1998"), Decimal("1"))],
        asks=[BookLevel(Decimal("2000"), Decimal("1"))],
        taker_fee=Decimal("0.001"),
        maker_fee=Decimal("0.001"),
        latency_ms=5,
    )
    await publish(running, book, book)
    [fired] = (await running.client.get("/v1/price-alerts", headers=headers)).json()["items"]
    assert fired["status"] == "triggered" and fired["triggered_price"] == "1999"
    notes = (await running.client.get("/v1/notifications", headers=headers)).json()["items"]
    assert [n["title"] for n in notes] == ["ETH/USD below $2,000"]
    await asyncio.sleep(0.3)
    assert expo.messages == []  # price alert pushes are off: told in the app only


async def test_alerts_set_on_another_replica_fire_after_a_refresh(running: RunningApp) -> None:
    """The armed alerts are reloaded from the database, so any replica can fire any alert."""
    _user_id, headers = trader(running)
    module = running.app.state.platform.modules["dashboard"]
    body = {"symbol": "SOL/USD", "direction": "above", "price": "150"}
    await running.client.post("/v1/price-alerts", json=body, headers=headers)
    module.price_alerts._armed.clear()  # as if the alert had been set elsewhere
    await publish(running, _bar("SOL/USD", "149", "151", minutes_ago=0))
    assert (await running.client.get("/v1/price-alerts", headers=headers)).json()["items"][0][
        "status"
    ] == "armed"
    assert await module.price_alerts.refresh() == 1
    await publish(running, _bar("SOL/USD", "149", "151", minutes_ago=0))
    listed = (await running.client.get("/v1/price-alerts", headers=headers)).json()["items"]
    assert listed[0]["status"] == "triggered"
    assert uuid.UUID(listed[0]["id"])

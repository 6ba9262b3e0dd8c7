"""A user's full picture for support, each part served by the module that owns it, on the whole
platform: orders and push devices (dashboard), positions (execution), credential metadata
(vault), the bot (strategy), sessions and sign-in devices (identity), and what kill switches
are engaged (routing). A real order also produces its Trade Executed push end to end."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app import create_app
from tests.conftest import RunningApp, register_and_login, serve, truncate_all
from tests.dashboard.push_helpers import fast_pushes, new_token
from tests.fakes.expo import FakeExpo
from tests.identity.conftest import make_admin
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
    await truncate_all(database_url)
    async with serve(create_app(make_settings(expo_push_url=expo.base_url))) as app:
        yield app


async def _trader_with_a_fill(running: RunningApp) -> tuple[str, dict[str, str], str, str]:
    """A trader with a kraken key, a phone and one filled market order: (id, headers, order
    id, the secret sent)."""
    client = running.client
    headers = await register_and_login(client)
    user_id = (await client.get("/v1/auth/me", headers=headers)).json()["id"]
    secret = secrets.token_urlsafe(32)
    stored = await client.post(
        "/v1/credentials",
        json={
            "venue": "kraken",
            "api_key": f"kraken-key-{secrets.token_hex(8)}",
            "api_secret": secret,
        },
        headers=headers,
    )
    assert stored.status_code == 201, stored.text
    await running.settle()
    phone = {"expo_push_token": new_token(), "platform": "ios", "device_id": "iphone"}
    assert (await client.post("/v1/push/devices", json=phone, headers=headers)).status_code == 201
    placed = await client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["id"]
    for _ in range(100):
        await running.settle()
        order = (await client.get(f"/v1/dashboard/orders/{order_id}", headers=headers)).json()
        if order["order"]["status"] == "filled":
            break
        await asyncio.sleep(0.1)
    return user_id, headers, order_id, secret


async def test_a_users_picture_for_support(running: RunningApp, expo: FakeExpo) -> None:
    client = running.client
    user_id, headers, order_id, secret = await _trader_with_a_fill(running)
    staff = await make_admin(running)

    # The real order path's fill became a Trade Executed push with its position's link.
    [push] = await expo.wait_for(1, timeout=15)
    positions = (await client.get("/v1/positions", headers=headers)).json()
    [position] = positions
    assert push.title == "Trade executed" and push.body.startswith("Bought $")
    assert push.data == {
        "type": "trade_executed",
        "url": f"/positions/{position['position_id']}",
        "position_id": position["position_id"],
        "order_id": order_id,
    }

    base = f"/v1/admin/users/{user_id}"
    orders = (await client.get(f"{base}/orders", headers=staff)).json()["items"]
    assert [o["id"] for o in orders] == [order_id]
    # The market moves between the two reads: the mark (and what it values) may differ.
    marked = {"mark_price", "unrealised_pnl"}
    seen = (await client.get(f"{base}/positions", headers=staff)).json()
    assert [{k: v for k, v in p.items() if k not in marked} for p in seen] == [
        {k: v for k, v in p.items() if k not in marked} for p in positions
    ]
    credentials = await client.get(f"{base}/credentials", headers=staff)
    assert [c["venue"] for c in credentials.json()] == ["kraken"]
    assert secret not in credentials.text and "api_secret" not in credentials.text
    bot = (await client.get(f"{base}/bot", headers=staff)).json()
    assert bot["status"] == "off" and bot["open_positions"] == []
    devices = (await client.get(f"{base}/push-devices", headers=staff)).json()["items"]
    assert [d["device_id"] for d in devices] == ["iphone"]
    assert (await client.get(f"{base}/devices", headers=staff)).json() == []
    [session] = (await client.get(f"{base}/sessions", headers=staff)).json()

    # Nobody by that id: identity and the dashboard say so; modules that keep no account list
    # answer what they hold for that id: nothing.
    nobody = f"/v1/admin/users/{uuid.uuid4()}"
    for part in ("sessions", "devices", "orders", "push-devices"):
        assert_problem(await client.get(f"{nobody}/{part}", headers=staff), 404, "user_not_found")
    for part in ("positions", "credentials"):
        assert (await client.get(f"{nobody}/{part}", headers=staff)).json() == []
    assert (await client.get(f"{nobody}/bot", headers=staff)).json()["status"] == "off"
    for part in ("positions", "credentials", "bot", "sessions", "devices"):
        response = await client.get(f"/v1/admin/users/not-a-uuid/{part}", headers=staff)
        assert 400 <= response.status_code < 500
        # A trader is refused before anything else.
        assert_problem(await client.get(f"{base}/{part}", headers=headers), 403, "admin_required")

    # Support ends the session (a lost phone): its token stops working.
    other = f"{base}/sessions/{uuid.uuid4()}"
    assert_problem(await client.delete(other, headers=staff), 404, "session_not_found")
    ended = await client.delete(f"{base}/sessions/{session['id']}", headers=staff)
    assert ended.status_code == 204, ended.text
    assert (await client.get("/v1/positions", headers=headers)).status_code == 401
    assert (await client.get(f"{base}/sessions", headers=staff)).json() == []
    missing_device = f"{base}/devices/{uuid.uuid4()}"
    assert_problem(await client.delete(missing_device, headers=staff), 404, "device_not_found")


async def test_what_kill_switches_are_engaged(running: RunningApp) -> None:
    client = running.client
    staff = await make_admin(running)
    assert (await client.get("/v1/admin/kill-switch", headers=staff)).json() == {
        "global": None,
        "users": [],
    }
    headers = await register_and_login(client)
    trader_id = (await client.get("/v1/auth/me", headers=headers)).json()["id"]
    admin_id = (await client.get("/v1/auth/me", headers=staff)).json()["id"]
    assert (
        await client.post("/v1/settings/trading/kill-switch", headers=headers)
    ).status_code == 200
    engaged = await client.post(
        "/v1/admin/kill-switch",
        json={"scope": "global", "active": True, "reason": "exchange incident"},
        headers=staff,
    )
    assert engaged.status_code == 200, engaged.text
    switches = (await client.get("/v1/admin/kill-switch", headers=staff)).json()
    assert switches["global"]["set_by"] == "admin"
    assert switches["global"]["set_by_user_id"] == admin_id
    assert switches["global"]["reason"] == "exchange incident" and switches["global"]["since"]
    assert [(u["user_id"], u["set_by"], u["set_by_user_id"]) for u in switches["users"]] == [
        (trader_id, "user", trader_id)
    ]
    await client.post(
        "/v1/admin/kill-switch", json={"scope": "global", "active": False}, headers=staff
    )
    assert (await client.get("/v1/admin/kill-switch", headers=staff)).json()["global"] is None
    assert_problem(
        await client.get("/v1/admin/kill-switch", headers=headers), 403, "admin_required"
    )

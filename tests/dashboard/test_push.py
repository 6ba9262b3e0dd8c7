"""Phone pushes end to end: events in, Expo's (fake) push service out.

The dashboard runs alone; the tests play execution, strategy and identity by publishing their
contract events, and a loopback fake of Expo's send and receipts endpoints receives the pushes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from modules.identity.contracts import SecurityEventRaised
from modules.kernel.events import envelope_for
from modules.strategy.contracts import BotPositionChanged, BotStatusChanged
from tests.conftest import LogCapture, RunningApp
from tests.dashboard.helpers import accepted, filled, publish, routed
from tests.dashboard.push_helpers import (
    dashboard_with_expo,
    fast_pushes,
    new_token,
    outbox_rows,
    position_changed,
    push_module,
    register_device,
    trader,
)
from tests.fakes.expo import FakeExpo

ACCESS_TOKEN = "expo-access-" + "k" * 30


@pytest.fixture
async def expo() -> AsyncIterator[FakeExpo]:
    async with FakeExpo(access_token=ACCESS_TOKEN) as fake:
        yield fake


@pytest.fixture
async def running(
    make_settings: Any, database_url: str, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningApp]:
    fast_pushes(monkeypatch)
    async with dashboard_with_expo(make_settings, database_url, expo) as app:
        yield app


async def _fill(running: RunningApp, user_id: str, **overrides: Any) -> Any:
    order = routed(user_id, symbol="BTC/USD", quantity=Decimal("0.5"), **overrides)
    await publish(
        running,
        order,
        accepted(order),
        filled(order, quantity="0.5", price="65000", cumulative="0.5", average="65000"),
    )
    return order


async def test_a_fill_pushes_trade_executed_with_its_position_link(
    running: RunningApp, expo: FakeExpo
) -> None:
    user_id, headers = trader(running)
    token = new_token()
    await register_device(running, headers, token)
    position = position_changed(user_id)
    await publish(running, position)
    order = await _fill(running, user_id)

    [push] = await expo.wait_for(1)
    assert push.to == token
    assert push.title == "Trade executed"
    assert push.body == "Bought $32,500 of BTC at $65,000"
    assert push.data == {
        "type": "trade_executed",
        "url": f"/positions/{position.position_id}",
        "position_id": position.position_id,
        "order_id": order.order_id,
    }
    # Nothing but the lock-screen text, the deep link and how to show it.
    assert set(push.raw) == {"to", "title", "body", "data", "sound", "priority"}
    listed = (await running.client.get("/v1/notifications", headers=headers)).json()
    assert [n["url"] for n in listed["items"]] == [f"/positions/{position.position_id}"]


async def test_a_fill_naming_its_position_links_to_it_with_no_lookup(
    running: RunningApp, expo: FakeExpo
) -> None:
    """Execution's fills name the position they fold into: the push links to it at once, even
    before the position's own event arrives (here it never does)."""
    user_id, headers = trader(running)
    await register_device(running, headers)
    order = routed(user_id, symbol="BTC/USD", quantity=Decimal("0.5"))
    fill = filled(order, quantity="0.5", price="65000", cumulative="0.5", average="65000")
    await publish(running, order, accepted(order), msgspec.structs.replace(fill, position_id="p-9"))
    [push] = await expo.wait_for(1)
    assert push.data["url"] == "/positions/p-9"
    assert push.data["position_id"] == "p-9"


async def test_a_fill_told_before_its_position_still_links_to_it(
    running: RunningApp, expo: FakeExpo
) -> None:
    user_id, headers = trader(running)
    await register_device(running, headers)
    order = await _fill(running, user_id)
    position = position_changed(user_id)  # execution's position event comes after the fill
    await publish(running, position)
    [push] = await expo.wait_for(1)
    assert push.data["url"] == f"/positions/{position.position_id}"
    assert push.data["order_id"] == order.order_id


async def test_a_burst_of_fills_is_one_push(
    running: RunningApp, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 fills in about a second: one push, sent once they have stopped coming."""
    fast_pushes(monkeypatch, quiet=0.5, collapse_max=10.0)
    user_id, headers = trader(running)
    token = new_token()
    await register_device(running, headers, token)
    order = routed(user_id, symbol="BTC/USD", quantity=Decimal("100"))
    fills = [
        filled(
            order,
            quantity="1",
            price="65000",
            cumulative=str(n + 1),
            average="65000",
            fill_id=f"fill-{n}",
        )
        for n in range(100)
    ]
    await publish(running, order)
    envelopes = [envelope_for(fill, "test") for fill in fills]
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(running.runtime.pubsub.publish(e) for e in envelopes))
    await running.settle()
    assert asyncio.get_running_loop().time() - started < 3
    [push] = await expo.wait_for(1)
    await asyncio.sleep(0.5)  # a second push would have come by now
    assert len(expo.to(token)) == 1
    assert push.body == "Bought $65,000 of BTC at $65,000 (+99 more)"
    assert push.data["order_id"] == order.order_id
    rows = await outbox_rows(running)
    assert sorted(r["status"] for r in rows) == ["collapsed"] * 99 + ["sent"]


async def test_a_dead_token_is_dropped_when_sending(running: RunningApp, expo: FakeExpo) -> None:
    user_id, headers = trader(running)
    dead, alive = new_token(), new_token()
    expo.dead_at_send.add(dead)
    await register_device(running, headers, dead)
    await register_device(running, headers, alive)
    await _fill(running, user_id)
    await expo.wait_for(1)
    await _until(lambda: _devices(running, headers), lambda d: len(d) == 1)
    devices = await _devices(running, headers)
    assert [d["token_hint"] for d in devices] == [f"ExponentPushToken[...{alive[-5:-1]}]"]
    assert [m.to for m in expo.messages] == [alive]


async def test_a_dead_token_is_dropped_when_its_receipt_says_so(
    running: RunningApp, expo: FakeExpo
) -> None:
    user_id, headers = trader(running)
    token = new_token()
    expo.dead_at_receipt.add(token)
    await register_device(running, headers, token)
    await _fill(running, user_id)
    [push] = await expo.wait_for(1)
    await _until(lambda: outbox_rows(running), lambda rows: rows[0]["status"] == "sent")
    assert await push_module(running).push_delivery.check_receipts() == 1
    assert expo.receipts_asked == [push.receipt_id]
    assert await _devices(running, headers) == []
    # Later pushes go nowhere: the device is gone.
    await _fill(running, user_id)
    await asyncio.sleep(0.5)
    assert len(expo.messages) == 1


async def test_delivered_receipts_close_their_pushes(running: RunningApp, expo: FakeExpo) -> None:
    user_id, headers = trader(running)
    await register_device(running, headers)
    await _fill(running, user_id)
    await expo.wait_for(1)
    await _until(lambda: outbox_rows(running), lambda rows: rows[0]["status"] == "sent")
    assert await push_module(running).push_delivery.check_receipts() == 1
    assert [r["status"] for r in await outbox_rows(running)] == ["delivered"]
    assert len(await _devices(running, headers)) == 1


async def test_a_5xx_is_retried_with_backoff_and_sent_once(
    running: RunningApp, expo: FakeExpo
) -> None:
    expo.fail_next.extend([503, 502, 429])
    user_id, headers = trader(running)
    await register_device(running, headers)
    await _fill(running, user_id)
    [push] = await expo.wait_for(1, timeout=15)
    await asyncio.sleep(0.3)
    assert len(expo.messages) == 1
    sends = [status for path, status in expo.requests if path.endswith("/send")]
    assert sends == [503, 502, 429, 200]
    [row] = await outbox_rows(running)
    assert row["status"] == "sent" and row["attempts"] == 4
    assert push.body.startswith("Bought")


async def test_preferences_are_honoured(running: RunningApp, expo: FakeExpo) -> None:
    user_id, headers = trader(running)
    token = new_token()
    await register_device(running, headers, token)
    changed = await running.client.put(
        "/v1/notifications/preferences", json={"trade_alerts": False}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    await _fill(running, user_id)
    await publish(running, SecurityEventRaised(user_id=user_id, kind="new_device"))
    [push] = await expo.wait_for(1)
    assert push.title == "New device" and push.data == {"type": "security", "url": "/settings"}
    await asyncio.sleep(0.5)
    assert len(expo.messages) == 1  # no trade push
    # In the app, the trade is still told.
    kinds = {
        n["kind"]
        for n in (await running.client.get("/v1/notifications", headers=headers)).json()["items"]
    }
    assert kinds == {"order.filled", "security.new_device"}

    await running.client.put(
        "/v1/notifications/preferences", json={"push_enabled": False}, headers=headers
    )
    await publish(running, SecurityEventRaised(user_id=user_id, kind="lockout"))
    await asyncio.sleep(0.5)
    assert len(expo.messages) == 1


async def test_position_closed_stop_loss_and_bot_status_pushes(
    running: RunningApp, expo: FakeExpo
) -> None:
    user_id, headers = trader(running)
    await register_device(running, headers)
    position_id = uuid.uuid4().hex
    opened = position_changed(
        user_id,
        position_id=position_id,
        quantity="0.001",
        average_entry="72000",
        realised_pnl="-0.07",
        realised_delta="-0.07",
        version=1,
    )
    closed = position_changed(
        user_id,
        position_id=position_id,
        quantity="0",
        average_entry="0",
        realised_pnl="8.20",
        realised_delta="8.27",
        version=2,
    )
    await publish(running, opened, closed)
    stop = BotPositionChanged(
        bot_position_id=uuid.uuid4().hex,
        user_id=user_id,
        venue="kraken",
        symbol="BTC/USD",
        status="closed",
        entry_intent_id=uuid.uuid4().hex,
        entry_price=Decimal("72000"),
        quantity=Decimal("0.001"),
        stop=Decimal("61200"),
        close_reason="stop_loss",
        version=3,
    )
    paused = BotStatusChanged(
        user_id=user_id,
        status="paused",
        previous="running",
        reason="kill switch (global, set by admin)",
    )
    by_user = BotStatusChanged(
        user_id=user_id, status="paused", previous="running", reason="paused by you"
    )
    await publish(running, stop, stop, paused, by_user)
    pushes = await expo.wait_for(3)
    await asyncio.sleep(0.4)
    by_type = {p.data["type"]: p for p in expo.messages}
    assert len(expo.messages) == 3
    assert by_type["position_closed"].body == "Profit +$8.20 (11.4 %)"
    assert by_type["position_closed"].data == {"type": "position_closed", "url": "/activity"}
    assert by_type["stop_loss_hit"].data == {
        "type": "stop_loss_hit",
        "url": f"/positions/{position_id}",
        "position_id": position_id,
    }
    assert by_type["bot_status"].body == "Bot paused by kill switch"
    assert by_type["bot_status"].data == {"type": "bot_status", "url": "/settings"}
    assert len(pushes) == 3


async def test_pushes_survive_a_restart_and_are_sent_once(
    make_settings: Any, database_url: str, expo: FakeExpo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Queued while Expo is down, the app stops; the next one sends each push exactly once."""
    fast_pushes(monkeypatch)
    monkeypatch.setattr("modules.dashboard.config.PUSH_RETRY_BASE_SECONDS", 30.0)
    expo.fail_next.extend([503] * 3)
    async with dashboard_with_expo(make_settings, database_url, expo) as first:
        user_id, headers = trader(first)
        token = new_token()
        await register_device(first, headers, token)
        await _fill(first, user_id)
        await publish(first, SecurityEventRaised(user_id=user_id, kind="lockout"))
        await _until(lambda: outbox_rows(first), lambda rows: all(r["attempts"] for r in rows))
    assert expo.messages == []
    monkeypatch.setattr("modules.dashboard.config.PUSH_RETRY_BASE_SECONDS", 0.05)
    async with dashboard_with_expo(make_settings, database_url, expo, truncate=False) as second:
        async with second.runtime.db.connection() as conn:  # the backoff's wait is over
            await conn.execute("UPDATE dashboard.push_outbox SET due_at = now()")
        push_module(second).push_workers.wake_delivery(0)
        await expo.wait_for(2)
        await asyncio.sleep(0.3)
    async with dashboard_with_expo(make_settings, database_url, expo, truncate=False) as third:
        push_module(third).push_workers.wake_delivery(0)
        await asyncio.sleep(0.5)
    assert sorted(m.title for m in expo.to(token)) == ["Sign-in locked", "Trade executed"]


async def test_no_push_response_event_or_log_carries_a_secret(
    running: RunningApp, expo: FakeExpo, captured_logs: LogCapture
) -> None:
    user_id, headers = trader(running)
    token = new_token()
    body = {"expo_push_token": token, "platform": "android", "device_id": "pixel-8"}
    answers = [await running.client.post("/v1/push/devices", json=body, headers=headers)]
    answers.append(await running.client.post("/v1/push/devices", json=body, headers=headers))
    answers.append(await running.client.get("/v1/push/devices", headers=headers))
    bad = {**body, "expo_push_token": token.replace("Exponent", "Bogus")}
    answers.append(await running.client.post("/v1/push/devices", json=bad, headers=headers))
    assert [a.status_code for a in answers] == [201, 200, 200, 422]
    await _fill(running, user_id)
    await publish(running, SecurityEventRaised(user_id=user_id, kind="two_factor_disabled"))
    await expo.wait_for(2)
    await push_module(running).push_delivery.check_receipts()
    inner = token[token.index("[") + 1 : -1]
    for answer in answers:
        assert inner not in answer.text
    for push in expo.messages:
        assert inner not in json.dumps(push.data) + push.title + push.body
        assert ACCESS_TOKEN not in json.dumps(push.raw)
    assert inner not in captured_logs.text and ACCESS_TOKEN not in captured_logs.text
    async with running.runtime.db.connection() as conn:
        events = await conn.fetch("SELECT envelope FROM dashboard.outbox")
        stored = await conn.fetchval("SELECT token_sealed FROM dashboard.push_devices")
    assert all(inner.encode() not in bytes(e["envelope"]) for e in events)
    assert inner not in stored  # sealed at rest
    # Expo saw the access token as a bearer on every request (else it would have said 401).
    assert {status for _, status in expo.requests} == {200}


# ---- helpers -----------------------------------------------------------------------------


async def _devices(running: RunningApp, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (
        await running.client.get("/v1/push/devices", headers=headers)
    ).json()["items"]
    return listed


async def _until(read: Any, ok: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if ok(value):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never held; last {value!r}")
        await asyncio.sleep(0.05)

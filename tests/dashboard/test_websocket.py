"""`WS /v1/ws`: the auth handshake and live pushes, over a real socket to the real app."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import modules.dashboard.config as dashboard_config
from modules.kernel.auth import Principal, TokenCodec
from modules.kernel.events import envelope_for
from tests.conftest import RunningApp
from tests.dashboard.helpers import (
    accepted,
    bearer,
    filled,
    messages_until_quiet,
    new_user,
    next_message,
    open_socket,
    publish,
    routed,
)


async def _refused(ws: object, first: dict[str, object] | None) -> int | None:
    """Send `first` (if any) and return the close code after the unauthorized error."""
    if first is not None:
        await ws.send(json.dumps(first))  # type: ignore[attr-defined]
    assert await next_message(ws) == {"type": "error", "code": "unauthorized"}  # type: ignore[arg-type]
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 5)  # type: ignore[attr-defined]
    return ws.close_code  # type: ignore[attr-defined,no-any-return]


async def test_auth_handshake_and_ping(running: RunningApp) -> None:
    user_id, token = new_user(running)
    async with connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert await next_message(ws) == {"type": "auth.ok", "user_id": user_id}
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_message(ws) == {"type": "pong"}
        await ws.send("not json")
        error = await next_message(ws)
        assert error["type"] == "error" and error["code"] == "invalid_message"
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_message(ws) == {"type": "pong"}


@pytest.mark.parametrize("case", ["garbage", "expired", "foreign_secret", "ping_first"])
async def test_bad_first_message_is_refused_with_4401(running: RunningApp, case: str) -> None:
    principal = Principal(user_id="u-1", role="trader")
    first: dict[str, object]
    if case == "garbage":
        first = {"type": "auth", "token": "not-a-jwt"}
    elif case == "expired":
        first = {"type": "auth", "token": running.runtime.tokens.issue(principal, ttl_seconds=-60)}
    elif case == "foreign_secret":
        first = {"type": "auth", "token": TokenCodec("y" * 40).issue(principal)}
    else:
        first = {"type": "ping"}
    async with connect(running.ws_url) as ws:
        assert await _refused(ws, first) == 4401


async def test_token_in_url_is_ignored(running: RunningApp) -> None:
    _, token = new_user(running)
    async with connect(f"{running.ws_url}?token={token}&access_token={token}") as ws:
        assert await _refused(ws, {"type": "ping"}) == 4401


async def test_silent_socket_is_closed_after_the_auth_timeout(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard_config, "WS_AUTH_TIMEOUT_SECONDS", 0.3)
    started = time.monotonic()
    async with connect(running.ws_url) as ws:
        assert await _refused(ws, None) == 4401
    assert time.monotonic() - started < 3


async def test_socket_closes_when_its_token_expires_unless_renewed(running: RunningApp) -> None:
    principal = Principal(user_id="u-2", role="trader")
    short = running.runtime.tokens.issue(principal, ttl_seconds=2)
    async with connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": short}))
        assert (await next_message(ws))["type"] == "auth.ok"
        assert await next_message(ws, timeout=6) == {"type": "error", "code": "token_expired"}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4401
    short = running.runtime.tokens.issue(principal, ttl_seconds=2)
    async with connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": short}))
        assert (await next_message(ws))["type"] == "auth.ok"
        renewed = running.runtime.tokens.issue(principal)
        await ws.send(json.dumps({"type": "auth", "token": renewed}))
        assert await next_message(ws) == {"type": "auth.ok", "user_id": "u-2"}
        await asyncio.sleep(2.5)
        await ws.send(json.dumps({"type": "ping"}))
        assert await next_message(ws) == {"type": "pong"}


async def test_renewing_with_another_users_token_ends_the_session(running: RunningApp) -> None:
    _, token = new_user(running)
    _, other = new_user(running)
    ws = await open_socket(running, token)
    async with ws:
        assert await _refused(ws, {"type": "auth", "token": other}) == 4401


async def test_order_events_reach_only_the_owners_sockets(running: RunningApp) -> None:
    owner, owner_token = new_user(running)
    _, other_token = new_user(running)
    phone = await open_socket(running, owner_token)
    laptop = await open_socket(running, owner_token)
    stranger = await open_socket(running, other_token)
    order = routed(owner)
    fill = filled(order, quantity="0.5", price="65010", cumulative="0.5", average="65010")
    for event in (order, accepted(order), fill):
        await publish(running, event)

    for ws in (phone, laptop):
        received = await messages_until_quiet(ws)
        updates = [m["order"] for m in received if m["type"] == "order.updated"]
        assert [u["status"] for u in updates] == ["routed", "accepted", "filled"]
        assert all(u["id"] == order.order_id for u in updates)
        fills = [m for m in received if m["type"] == "order.filled"]
        assert len(fills) == 1
        pushed = fills[0]
        assert pushed["fill"]["fill_id"] == fill.fill_id
        assert Decimal(pushed["fill"]["price"]) == Decimal("65010")
        assert pushed["order"]["status"] == "filled"
        assert Decimal(pushed["order"]["filled_quantity"]) == Decimal("0.5")
        assert Decimal(pushed["order"]["fees"]) == Decimal("0.5")
        assert pushed["order"]["venue"] == "kraken"
        notes = [m for m in received if m["type"] == "notification.created"]
        assert [n["notification"]["kind"] for n in notes] == ["order.filled"]
    assert await messages_until_quiet(stranger) == []
    for ws in (phone, laptop, stranger):
        await ws.close()


async def test_an_orders_events_folded_together_push_its_committed_state_once(
    running: RunningApp,
) -> None:
    """Routed, accepted and filled delivered at once fold in one batch: the socket gets the
    order as committed, once, not each step the batch went through."""
    owner, token = new_user(running)
    ws = await open_socket(running, token)
    order = routed(owner)
    fill = filled(order, quantity="0.5", price="65010", cumulative="0.5", average="65010")
    await asyncio.gather(
        *(
            running.runtime.pubsub.publish(envelope_for(event, "test"))
            for event in (order, accepted(order), fill)
        )
    )
    await running.settle()
    received = await messages_until_quiet(ws)
    [update] = [m["order"] for m in received if m["type"] == "order.updated"]
    [pushed] = [m["order"] for m in received if m["type"] == "order.filled"]
    stored = (await running.client.get("/v1/dashboard/orders", headers=bearer(token))).json()
    [row] = [o for o in stored["items"] if o["id"] == order.order_id]
    assert update["status"] == pushed["status"] == row["status"] == "filled"
    assert update["revision"] == row["revision"]
    await ws.close()


async def test_redelivered_fill_is_pushed_and_counted_once(running: RunningApp) -> None:
    owner, token = new_user(running)
    ws = await open_socket(running, token)
    order = routed(owner, quantity=Decimal("1"))
    fill = filled(order, quantity="0.4", price="100", cumulative="0.4", average="100")
    await publish(running, order)
    await publish(running, fill, fill)
    # The same fill again under a new event id (e.g. re-published after a crash).
    again = filled(
        order, quantity="0.4", price="100", cumulative="0.4", average="100", fill_id=fill.fill_id
    )
    await publish(running, again)
    received = await messages_until_quiet(ws)
    assert len([m for m in received if m["type"] == "order.filled"]) == 1
    detail = (
        await running.client.get(
            f"/v1/dashboard/orders/{order.order_id}", headers={"Authorization": f"Bearer {token}"}
        )
    ).json()
    assert len(detail["fills"]) == 1
    assert Decimal(detail["order"]["filled_quantity"]) == Decimal("0.4")
    assert detail["order"]["status"] == "partially_filled"
    await ws.close()

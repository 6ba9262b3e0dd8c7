"""What a trader does over the wire, shared by the end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

VENUES = ("coinbase", "kraken", "binance")
FILL_TIMEOUT_SECONDS = 60.0


async def register_and_login(client: httpx.AsyncClient, password: str) -> str:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    registered = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    login = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["token_type"].lower() == "bearer" and body["refresh_token"]
    token: str = body["access_token"]
    return token


async def store_credentials(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    """Credentials for every venue; returns every secret value sent."""
    sent: list[str] = []
    for venue in VENUES:
        api_key = f"{venue}-key-{secrets.token_hex(12)}"
        api_secret = secrets.token_urlsafe(32)
        response = await client.post(
            "/v1/credentials",
            json={"venue": venue, "api_key": api_key, "api_secret": api_secret},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["venue"] == venue and body["key_hint"] == api_key[-4:]
        assert api_secret not in response.text and api_key not in response.text
        sent += [api_key, api_secret]
    return sent


async def authenticated_socket(url: str, token: str) -> ClientConnection:
    ws = await connect(url, open_timeout=10)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "auth.ok", reply
    return ws


async def wait_for_fill(ws: ClientConnection, order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + FILL_TIMEOUT_SECONDS
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        seen.append(json.dumps(message)[:300])
        if message.get("type") == "order.filled" and message["order"]["id"] == order_id:
            pushed: dict[str, Any] = message
            return pushed
    raise AssertionError(f"no order.filled for {order_id} on the socket; saw {seen}")


async def settled_order(client: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> Any:
    """GET /v1/orders/{id} once routing's own view has caught up with the fill."""
    deadline = time.monotonic() + 15
    while True:
        response = await client.get(f"/v1/orders/{order_id}", headers=headers)
        assert response.status_code == 200, response.text
        order = response.json()
        if order["status"] in ("filled", "partially_filled") and order["fills"]:
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"order never showed its fill: {order}")
        await asyncio.sleep(0.2)


async def a_new_traders_filled_order(client: httpx.AsyncClient, password: str) -> Any:
    """A new trader with credentials for every venue places a small market order; the order as
    GET /v1/orders/{id} shows it once filled."""
    token = await register_and_login(client, password)
    headers = {"Authorization": f"Bearer {token}"}
    await store_credentials(client, headers)
    placed = await client.post(
        "/v1/orders",
        json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.002"},
        headers=headers,
    )
    assert placed.status_code == 202, placed.text
    return await settled_order(client, placed.json()["id"], headers)

"""The whole order path, driven like a trader drives it, against `nija run` in a subprocess.

Register, log in, store credentials for the three venues, open the live socket, place a market
order, and see the fill arrive on the socket; then check the order's route, venue, fills and fees
over HTTP, and that no secret the trader sent ever reached the process's logs.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from bench.launcher import PlatformProcess, running_platform

VENUES = ("coinbase", "kraken", "binance")
FILL_TIMEOUT_SECONDS = 60.0


@pytest.fixture
async def platform(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PlatformProcess]:
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with running_platform(
        tmp_path / "data", server_url=server, db_prefix="nija_e2e"
    ) as started:
        yield started
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"---- nija run stderr ----\n{started.stderr()[-20000:]}")


async def _register_and_login(client: httpx.AsyncClient, password: str) -> str:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    registered = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201, registered.text
    login = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["token_type"].lower() == "bearer" and body["refresh_token"]
    token: str = body["access_token"]
    return token


async def _store_credentials(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
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


async def _authenticated_socket(url: str, token: str) -> ClientConnection:
    ws = await connect(url, open_timeout=10)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "auth.ok", reply
    return ws


async def _wait_for_fill(ws: ClientConnection, order_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + FILL_TIMEOUT_SECONDS
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), left))
        except TimeoutError:
            break
        seen.append(message.get("type", "?"))
        if message.get("type") == "order.filled" and message["order"]["id"] == order_id:
            pushed: dict[str, Any] = message
            return pushed
    raise AssertionError(f"no order.filled for {order_id} on the socket; saw {seen}")


async def _settled_order(client: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> Any:
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


@pytest.mark.timeout(420)
async def test_a_market_order_is_routed_filled_and_pushed(platform: PlatformProcess) -> None:
    password = "e2e correct horse battery 7"
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        token = await _register_and_login(client, password)
        headers = {"Authorization": f"Bearer {token}"}
        sent_secrets = await _store_credentials(client, headers)

        ws = await _authenticated_socket(platform.ws_url, token)
        try:
            placed = await client.post(
                "/v1/orders",
                json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"},
                headers=headers,
            )
            assert placed.status_code == 202, placed.text
            order_id = placed.json()["id"]
            pushed = await _wait_for_fill(ws, order_id)
        finally:
            await ws.close()

        order = await _settled_order(client, order_id, headers)
        route = order["route"]
        eligible = [c for c in route["candidates"] if c["eligible"]]
        assert {c["venue"] for c in route["candidates"]} == set(VENUES)
        cheapest = min(eligible, key=lambda c: Decimal(c["expected_cost"]))
        assert order["venue"] == route["chosen"] == cheapest["venue"]
        assert pushed["order"]["venue"] == order["venue"]
        assert pushed["fill"]["venue"] == order["venue"]
        filled = sum(Decimal(f["quantity"]) for f in order["fills"])
        assert Decimal(0) < filled <= Decimal("0.01")
        assert Decimal(order["filled_quantity"]) == filled
        fees = sum(Decimal(f["fee"]) for f in order["fills"])
        assert fees > 0 and Decimal(order["fees"]) == fees
        if order["status"] == "filled":
            assert filled == Decimal("0.01")

        board = await client.get("/v1/dashboard/orders", headers=headers)
        mine = [o for o in board.json()["items"] if o["id"] == order_id]
        assert mine and mine[0]["status"] in ("filled", "partially_filled", "expired")

    logs = platform.logs()
    assert logs, "the platform wrote no logs at all; the secrecy check below would be vacuous"
    for value in [*sent_secrets, password]:
        assert value not in logs

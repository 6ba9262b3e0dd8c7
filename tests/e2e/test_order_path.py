"""The whole order path, driven like a trader drives it, against `nija run` in a subprocess.

Register, log in, store credentials for the three venues, open the live socket, place a market
order, and see the fill arrive on the socket; then check the order's route, venue, fills and fees
over HTTP, and that no secret the trader sent ever reached the process's logs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bench.launcher import PlatformProcess, running_platform
from tests.e2e.trader import (
    VENUES,
    authenticated_socket,
    register_and_login,
    settled_order,
    store_credentials,
    wait_for_fill,
)


@pytest.fixture
async def platform(
    embedded_tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[PlatformProcess]:
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with running_platform(
        embedded_tmp_path / "data", server_url=server, db_prefix="nija_e2e"
    ) as started:
        yield started
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"---- nija run stderr ----\n{started.stderr()[-20000:]}")


@pytest.mark.timeout(420)
async def test_a_market_order_is_routed_filled_and_pushed(platform: PlatformProcess) -> None:
    password = "e2e correct horse battery 7"
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        token = await register_and_login(client, password)
        headers = {"Authorization": f"Bearer {token}"}
        sent_secrets = await store_credentials(client, headers)

        ws = await authenticated_socket(platform.ws_url, token)
        try:
            placed = await client.post(
                "/v1/orders",
                json={"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"},
                headers=headers,
            )
            assert placed.status_code == 202, placed.text
            order_id = placed.json()["id"]
            pushed = await wait_for_fill(ws, order_id)
        finally:
            await ws.close()

        order = await settled_order(client, order_id, headers)
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

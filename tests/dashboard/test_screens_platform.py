"""The screens on the whole platform: a trader registers (identity tells the dashboard their time
zone), stores keys, buys on a simulated venue and closes the position by the id the screens
show; every figure then agrees with execution's own position and the venue's fills."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from tests.conftest import RunningApp, serve, truncate_all
from tests.e2e.trader import store_credentials
from tests.identity.conftest import bearer, new_email, register, tokens_for


@pytest.fixture
async def platform(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    async with serve(create_app(make_settings())) as running:
        yield running


async def _until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _filled(running: RunningApp, headers: dict[str, str], order_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        response = await running.client.get(f"/v1/dashboard/orders/{order_id}", headers=headers)
        body: dict[str, Any] = response.json()
        done = response.status_code == 200 and body["order"]["status"] in ("filled", "expired")
        return body if done else None

    body: dict[str, Any] = await _until(check)
    return body


async def test_a_round_trip_on_the_platform_shows_the_same_figures_everywhere(
    platform: RunningApp,
) -> None:
    running = platform
    email = new_email()
    await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    client = running.client
    zone = await client.patch(
        "/v1/settings/profile", json={"timezone": "Asia/Tokyo"}, headers=headers
    )
    assert zone.status_code == 200, zone.text
    await store_credentials(client, headers)
    roomy = {"equity_usd": "1000000", "risk_level": "high"}
    assert (await client.patch("/v1/settings/trading", json=roomy, headers=headers)).is_success

    async def routable() -> bool:
        order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.02"}
        placed = await client.post("/v1/orders", json=order, headers=headers)
        if placed.status_code == 202:
            await _filled(running, headers, placed.json()["id"])
            return True
        assert placed.status_code == 503, placed.text  # no book seen yet
        return False

    await _until(routable)
    [held] = (await client.get("/v1/positions", headers=headers)).json()

    async def opened() -> list[dict[str, Any]]:
        body = (await client.get("/v1/dashboard/positions", headers=headers)).json()
        items: list[dict[str, Any]] = body["items"]
        return items

    [shown] = await _until(opened)
    assert (shown["id"], shown["status"], shown["cycle"]) == (held["position_id"], "open", 1)
    assert Decimal(shown["size"]) == Decimal("0.02")

    # Closed by the id the screen shows, through routing's close.
    closing = await client.post(f"/v1/positions/{shown['id']}/close", headers=headers)
    assert closing.status_code == 202, closing.text
    await _filled(running, headers, closing.json()["id"])

    async def closed() -> dict[str, Any] | None:
        items = (await client.get("/v1/dashboard/positions", headers=headers)).json()["items"]
        return items[0] if items and items[0]["status"] == "closed" else None

    position = await _until(closed)
    execution = (await client.get(f"/v1/positions/{held['position_id']}", headers=headers)).json()
    assert Decimal(position["realised_pnl"]) == Decimal(execution["realised_pnl"])
    assert Decimal(position["fees"]) == Decimal(execution["fees"]) > 0
    assert position["exit_reason"] == "manual"

    fills = (
        await client.get("/v1/dashboard/activity", params={"type": "trade"}, headers=headers)
    ).json()
    closes = (
        await client.get("/v1/dashboard/activity", params={"type": "close"}, headers=headers)
    ).json()
    [close] = closes["items"]
    assert Decimal(close["pnl"]) == Decimal(execution["realised_pnl"])
    export = await client.get("/v1/dashboard/activity/export", headers=headers)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == len(fills["items"]) + 1
    assert sum(Decimal(r["realised_pnl"]) for r in rows) == Decimal(execution["realised_pnl"])
    assert {r["client_order_id"][:5] for r in rows} == {"nija-"}

    async def overview() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get("/v1/dashboard/overview", headers=headers)).json()
        return body if body["balances"] else None

    body = await _until(overview)
    assert body["timezone"] == "Asia/Tokyo"
    ever = body["pnl"]["all"]
    assert (ever["trades"], ever["closed"]) == (len(rows), 1)
    assert Decimal(ever["pnl"]) == Decimal(execution["realised_pnl"])
    assert Decimal(body["equity_usd"]) > 0 and body["open_positions"] == []
    savings = (await client.get("/v1/dashboard/routing-savings", headers=headers)).json()
    assert len(savings["items"]) == 2 and savings["total"]["orders"] == 2
    assert all(Decimal(i["route_cost"]) > 0 for i in savings["items"])

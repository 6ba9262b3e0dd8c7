"""Backtests over HTTP: a backtest asks execution for history over the bus (two requests for two
days of five-minute bars and the warm-up), runs in the background, and its report is the
engine's over the same history; another trader's backtest is 404; bounds are 4xx problems."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import msgspec

from modules.strategy.schemas import BacktestRequest
from tests.conftest import RunningApp, register_and_login

BODY = {"symbol": "BTC/USD", "venue": "binance", "days": 2, "end": "2026-05-28T20:30:00Z"}


async def status_of(running: RunningApp, backtest_id: str) -> str:
    async with running.runtime.db.connection() as conn:
        status: str = await conn.fetchval(
            "SELECT status FROM strategy.backtests WHERE id = $1::uuid", backtest_id
        )
    return status


async def until_finished(running: RunningApp, backtest_id: str, seconds: float = 60) -> None:
    """Deliver every event until the backtest has ended (read from its row, not polled over
    HTTP: a trader's plan allows 60 requests a minute); the worker runs it on a thread."""
    deadline = time.monotonic() + seconds
    while await status_of(running, backtest_id) not in ("done", "failed"):
        assert time.monotonic() < deadline, await status_of(running, backtest_id)
        await running.settle(rounds=1)


async def submit(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    response = await client.post("/v1/backtests", json={**BODY, **body}, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return str(response.json()["id"])


async def test_a_backtest_runs_in_the_background_and_reports_the_engines_result(
    running: RunningApp,
) -> None:
    client = running.client
    alice = await register_and_login(client)
    backtest_id = await submit(client, alice)
    await until_finished(running, backtest_id)

    response = await client.get(f"/v1/backtests/{backtest_id}", headers=alice)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["status"] == "done", view
    assert view["params"]["timeframe"] == "5m" and view["params"]["equity_usd"] == "10000"
    report = view["report"]
    assert report["bars"] == 2 * 288
    assert len(report["equity_curve"]) == report["bars"]
    assert report["end"] == "2026-05-28T20:30:00Z"
    # Two requests went out: 776 bars is more than one answer's two days.
    async with running.runtime.db.connection() as conn:
        assert (
            await conn.fetchval(
                "SELECT requests FROM strategy.backtests WHERE id = $1::uuid", backtest_id
            )
            == 2
        )
        assert await conn.fetchval("SELECT count(*) FROM strategy.backtest_parts") == 0

    # The same backtest without the bus (as `nija backtest` runs it) reports the same.
    modules = running.app.state.platform.modules
    request = msgspec.convert(BODY, BacktestRequest, strict=False)
    direct = await modules["strategy"].backtest(request, modules["execution"].history.answer)
    assert msgspec.json.decode(msgspec.json.encode(direct)) == report


async def test_only_the_owner_sees_a_backtest(running: RunningApp) -> None:
    client = running.client
    alice, bob = await register_and_login(client), await register_and_login(client)
    backtest_id = await submit(client, alice, days=1)
    for path in (backtest_id, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = await client.get(f"/v1/backtests/{path}", headers=bob)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "backtest_not_found"
    await until_finished(running, backtest_id)


async def test_bounds_are_problems(running: RunningApp) -> None:
    client = running.client
    alice = await register_and_login(client)
    for body, status in [
        ({"days": 0}, 400),
        ({"days": 91}, 400),
        ({"timeframe": "2m"}, 400),
        ({"strategy": "other"}, 400),
        ({"equity_usd": "-5"}, 422),
        ({"surprise": 1}, 400),
        ({"timeframe": "1m", "days": 30}, 422),
    ]:
        response = await client.post("/v1/backtests", json={**BODY, **body}, headers=alice)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "backtest_too_long"
    anonymous = await client.post("/v1/backtests", json=BODY)
    assert anonymous.status_code == 401


async def test_an_unknown_market_fails_with_executions_reason(running: RunningApp) -> None:
    client = running.client
    alice = await register_and_login(client)
    unknown_venue = await submit(client, alice, venue="nowhere", days=1)
    unknown_symbol = await submit(client, alice, symbol="DOGE/USD", days=1)
    await asyncio.gather(
        until_finished(running, unknown_venue), until_finished(running, unknown_symbol)
    )
    for backtest_id, code in [(unknown_venue, "unknown_venue"), (unknown_symbol, "unknown_symbol")]:
        view = (await client.get(f"/v1/backtests/{backtest_id}", headers=alice)).json()
        assert view["status"] == "failed" and view["error_code"] == code, view
        assert view["report"] is None


async def test_a_trader_has_at_most_three_backtests_under_way(running: RunningApp) -> None:
    client = running.client
    alice = await register_and_login(client)
    # Strategy's requests for history stay in its outbox: the backtests stay queued.
    relay = running.runtime.relays["strategy"]
    await relay.stop()
    ids = [await submit(client, alice, venue="nowhere", days=1) for _ in range(3)]
    response = await client.post("/v1/backtests", json=BODY, headers=alice)
    assert response.status_code == 429 and response.json()["code"] == "too_many_backtests"
    assert all([await status_of(running, backtest_id) == "queued" for backtest_id in ids])
    relay.start()
    for backtest_id in ids:
        await until_finished(running, backtest_id)

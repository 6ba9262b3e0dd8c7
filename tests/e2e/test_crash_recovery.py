"""Crash safety of the order path: SIGKILL `nija run` at random instants while orders stream in.

Clients behave as the mobile app does: every order carries an Idempotency-Key and is retried with
the same key until it gets an answer. After 20 crashes and a final restart, every order the
platform accepted has reached a terminal state, every key maps to exactly one order, and the
venue saw each order once, with fills adding up to exactly what the platform recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.launcher import PlatformProcess, fresh_database
from modules.kernel.embedded_pg import EmbeddedServer
from tests.e2e.trader import register_and_login, store_credentials

CRASHES = 20
USERS = 6
TERMINAL = {"filled", "expired", "rejected"}
SEED = 20261124


@dataclass
class Trader:
    headers: dict[str, str]
    answers: dict[str, int] = field(default_factory=dict)  # idempotency key -> final status
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> order id


async def _submit_until_answered(base_url: str, trader: Trader, key: str) -> None:
    order = {"symbol": "ETH/USD", "side": "buy", "type": "market", "quantity": "0.02"}
    headers = {**trader.headers, "Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        while True:
            try:
                response = await client.post("/v1/orders", json=order, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.3)  # the platform is down: retry with the same key
                continue
            if response.status_code in (502, 503, 504) or response.status_code == 429:
                await asyncio.sleep(0.3)
                continue
            trader.answers[key] = response.status_code
            if response.status_code == 202:
                trader.accepted[key] = response.json()["id"]
            return


async def _stream(base_url: str, trader: Trader, stop: asyncio.Event, rng: random.Random) -> None:
    while not stop.is_set():
        await _submit_until_answered(base_url, trader, f"crash-{uuid.uuid4().hex}")
        await asyncio.sleep(rng.uniform(1.05, 1.5))  # within the per-user order rate


async def _crash_repeatedly(platform: PlatformProcess, rng: random.Random) -> None:
    for _ in range(CRASHES):
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        await asyncio.to_thread(platform.kill)
        platform.start()
        await platform.wait_ready()


async def _database_url(data_dir: Path, external: str | None) -> str:
    # Joins the platform's embedded server as a guest: the platform keeps and stops it.
    return external or await asyncio.to_thread(EmbeddedServer(str(data_dir)).start)


async def _wait_terminal(conn: asyncpg.Connection, ids: list[str]) -> list[Any]:
    for _ in range(300):
        rows = await conn.fetch(
            "SELECT id::text AS id, status, client_order_id, filled_quantity "
            "FROM routing.orders WHERE id = ANY($1::uuid[])",
            ids,
        )
        if len(rows) == len(ids) and all(r["status"] in TERMINAL for r in rows):
            return rows
        await asyncio.sleep(0.2)
    stuck = [(r["id"], r["status"]) for r in rows if r["status"] not in TERMINAL]
    raise AssertionError(f"orders never reached a terminal state: {stuck[:10]}")


@pytest.mark.timeout(900)
async def test_no_order_lost_or_placed_twice_across_twenty_crashes(embedded_tmp_path: Path) -> None:
    rng = random.Random(SEED)
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    async with fresh_database(server, "nija_crash") as external_url:
        # Passwords are hashed at the test cost: 21 starts and 6 sign-ups would otherwise spend
        # some 10 s in argon2id, which has nothing to do with what a crash may lose. Nor has the
        # API's minute budget: each SIGKILL forfeits the share of it the process held, and the
        # final replay of every key comes on top of a minute of orders.
        platform = PlatformProcess(
            embedded_tmp_path / "data",
            database_url=external_url,
            extra_env={
                "NIJA_ENV": "test",
                "NIJA_PASSWORD_HASH_COST": "test",
                "NIJA_API_RATE_LIMITS_PER_MINUTE": '{"basic": 100000}',
            },
        )
        platform.start()
        try:
            await platform.wait_ready()
            traders = []
            async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
                for n in range(USERS):
                    token = await register_and_login(client, f"crash test password {n:02d}")
                    headers = {"Authorization": f"Bearer {token}"}
                    await store_credentials(client, headers)
                    traders.append(Trader(headers=headers))
            stop = asyncio.Event()
            streams = [
                asyncio.create_task(_stream(platform.base_url, t, stop, random.Random(n)))
                for n, t in enumerate(traders)
            ]
            try:
                await _crash_repeatedly(platform, rng)
                await asyncio.sleep(2)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*streams), timeout=120)

            # Every key again: the answer must be the first one, and name the same order.
            async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
                for trader in traders:
                    for key, order_id in trader.accepted.items():
                        replay = await client.post(
                            "/v1/orders",
                            json={
                                "symbol": "ETH/USD",
                                "side": "buy",
                                "type": "market",
                                "quantity": "0.02",
                            },
                            headers={**trader.headers, "Idempotency-Key": key},
                        )
                        assert replay.status_code == 202 and replay.json()["id"] == order_id

            accepted = [oid for t in traders for oid in t.accepted.values()]
            assert len(accepted) >= 20, f"too few orders got through to prove anything: {accepted}"
            assert len(set(accepted)) == len(accepted), "two keys produced the same order"
            conn = await asyncpg.connect(
                await _database_url(embedded_tmp_path / "data", external_url)
            )
            try:
                await _check_books(conn, accepted)
            finally:
                await conn.close()
        finally:
            with contextlib.suppress(Exception):
                print(f"---- last nija run stderr ----\n{platform.stderr()[-5000:]}")
            await asyncio.to_thread(platform.stop)


async def _check_books(conn: asyncpg.Connection, accepted: list[str]) -> None:
    rows = await _wait_terminal(conn, accepted)
    total_orders = await conn.fetchval("SELECT count(*) FROM routing.orders")
    assert total_orders == len(accepted), "the platform holds orders no client was told about"
    venue = {
        r["client_order_id"]: r
        for r in await conn.fetch(
            "SELECT o.client_order_id, count(*) OVER (PARTITION BY o.client_order_id) AS copies, "
            "COALESCE((SELECT sum(t.quantity) FROM execution.sim_trades t "
            "          WHERE t.venue_order_id = o.venue_order_id), 0) AS traded "
            "FROM execution.sim_orders o"
        )
    }
    for row in rows:
        placed = venue.get(row["client_order_id"])
        if row["status"] == "rejected" and placed is None:
            continue  # refused before reaching the venue
        assert placed is not None, f"{row['id']} is {row['status']} but the venue never saw it"
        assert placed["copies"] == 1, f"{row['client_order_id']} placed {placed['copies']} times"
        assert Decimal(placed["traded"]) == Decimal(row["filled_quantity"]), row["id"]

"""A paper bot's stop survives a crash: `nija run` is SIGKILLed after the bot's entry filled
and before the market reaches its stop; restarted on the same data, the stop closes the position
exactly once, with the loss recorded by execution.

The simulated market is the platform's own (seed 19), running 300 times faster than the wall
clock: a one-minute bar every 0.2 s. With the bot's window at 60 bars, its verdict on a bar is a
function of the market alone once 60 bars are in, and on kraken SOL/USD the first entry after
market minute 100 comes at minute 115, stopped out at minute 143 before any target or exit
signal, wherever the fill lands in the ten minutes after the signal (checked below against the
same model the venue runs). A faster market starts at the
same instant on every start of the process, so the restarted platform replays the first run's
market until it passes the bars the bot has already seen, and only then moves on to the stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from bench.launcher import NIJA, PlatformProcess, fresh_database
from modules.execution.domain.sim_bars import sim_bar
from modules.execution.domain.sim_market import PROFILES, SIM_EPOCH
from modules.kernel.embedded_pg import EmbeddedServer
from modules.strategy.domain import apex, protection
from modules.strategy.domain.bars import Bar
from tests.e2e.trader import register_and_login

SPEED, WINDOW, SEED = 300, 60, 19
VENUE, SYMBOL = "kraken", "SOL/USD"
START_AFTER, ENTRY, STOP = 100, 115, 143  # market minutes after the simulated epoch
ENV = {
    "NIJA_ENV": "test",
    "NIJA_PASSWORD_HASH_COST": "test",
    "NIJA_SIM_SPEED": str(SPEED),
    "NIJA_SIM_SEED": str(SEED),
    "NIJA_SIM_LATENCY_SCALE": "0.1",
    "NIJA_MARKET_TICK_SECONDS": "0.05",
    "NIJA_OUTBOX_POLL_SECONDS": "0.05",
    "NIJA_STRATEGY_WINDOW_BARS": str(WINDOW),
}


def test_the_scenario_is_what_the_simulated_market_makes_it() -> None:
    """The market minutes above, recomputed from the venue's model with the bot's own rules."""
    bars = []
    for minute in range(STOP + 1):
        b = sim_bar(SEED, VENUE, PROFILES[VENUE].depth, SYMBOL, "1m", int(SIM_EPOCH) + 60 * minute)
        bars.append(
            Bar(start=b.start, open=b.open, high=b.high, low=b.low, close=b.close, volume=b.volume)
        )
    verdicts = {
        m: apex.evaluate(bars[m - WINDOW + 1 : m + 1]) for m in range(START_AFTER, STOP + 1)
    }
    entries = [m for m, v in verdicts.items() if v.long.action == "entry"]
    assert entries[0] == ENTRY
    signal = verdicts[ENTRY].long
    assert signal.stop is not None
    for filled_at in range(ENTRY + 1, ENTRY + 11):  # the order path's latency, in bars
        fill = bars[filled_at].close
        guard = protection.Guard(
            entry_price=fill,
            quantity=Decimal(1),
            exited=Decimal(0),
            stop=signal.stop,
            targets=protection.after_entry_fill(signal.stop, bars[ENTRY].close - signal.stop, fill),
        )
        assert _first_exit(guard, bars, verdicts, filled_at + 1) == (STOP, "stop_loss")


def _first_exit(guard: Any, bars: list[Any], verdicts: dict[int, Any], start: int) -> Any:
    for minute in range(start, STOP + 1):
        indicators = verdicts[minute].indicators
        atr = None if indicators is None else indicators.atr
        step = protection.on_bar(guard, bars[minute], atr, exit_in_flight=False)
        if step.exit is not None:  # the stop goes first, whatever else the bar says
            return minute, step.exit.kind
        if verdicts[minute].exit_long is not None:
            return minute, "exit"
        guard = step.guard
    raise AssertionError("no stop")


async def _conn(data_dir: Path, external: str | None) -> asyncpg.Connection:
    # Joins the platform's embedded server as a guest: the platform keeps and stops it.
    url = external or await asyncio.to_thread(EmbeddedServer(str(data_dir)).start)
    return await asyncpg.connect(url)


async def _until(check: Any, within: float, what: str, every: float = 0.02) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(every)
    raise AssertionError(f"{what}: not within {within:.0f}s")


async def _market_minute(conn: asyncpg.Connection) -> int:
    latest = await conn.fetchval(
        "SELECT max(start) FROM strategy.bars WHERE venue = $1 AND symbol = $2 "
        "AND timeframe = '1m'",
        VENUE,
        SYMBOL,
    )
    return -1 if latest is None else int((latest.timestamp() - SIM_EPOCH) // 60)


async def _bot_for(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    token = await register_and_login(client, "crash test bot password 1")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"venue": VENUE, "api_key": f"{VENUE}-key-crash-bot", "api_secret": "s" * 32}
    stored = await client.post("/v1/credentials", json=body, headers=headers)
    assert stored.status_code == 201, stored.text
    risk = await client.patch("/v1/settings/trading", json={"risk_level": "high"}, headers=headers)
    assert risk.status_code == 200, risk.text
    bot = {"venue": VENUE, "pairs": [SYMBOL], "timeframe": "1m", "max_position_usd": "500"}
    settings = await client.put("/v1/bot", json=bot, headers=headers)
    assert settings.status_code == 200, settings.text
    claims = jwt.decode(token, options={"verify_signature": False})
    return headers, str(claims["sub"])


@pytest.mark.timeout(240)
async def test_a_stop_closes_the_position_once_across_a_sigkill(embedded_tmp_path: Path) -> None:
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    data_dir = embedded_tmp_path / "data"
    async with fresh_database(server, "nija_bot_crash") as external_url:
        env = {**ENV, **({"NIJA_DATABASE_URL": external_url} if external_url else {})}
        # The database made and migrated first: the market starts with the process, and a
        # fresh embedded server's first start would eat into the minutes before the entry.
        migrated = subprocess.run(
            [str(NIJA), "migrate"],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("NIJA_")},
                "NIJA_DATA_DIR": str(data_dir),
                **env,
            },
            capture_output=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr.decode()[-3000:]
        platform = PlatformProcess(data_dir, database_url=external_url, extra_env=ENV)
        platform.start()
        conn: asyncpg.Connection | None = None
        try:
            await platform.wait_ready()
            conn = await _conn(data_dir, external_url)
            await _run(platform, conn)
        finally:
            if conn is not None:
                await conn.close()
            with contextlib.suppress(Exception):
                print(f"---- last nija run stderr ----\n{platform.stderr()[-5000:]}")
            await asyncio.to_thread(platform.stop)


async def _run(platform: PlatformProcess, conn: asyncpg.Connection) -> None:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        headers, user_id = await _bot_for(client)

        async def past_start() -> bool:
            return await _market_minute(conn) >= START_AFTER

        await _until(past_start, 60, "the market reaching the bot's start")
        assert await _market_minute(conn) < ENTRY - 10, "too late to start the bot"
        started = await client.post("/v1/bot/start", headers=headers)
        assert started.status_code == 200, started.text

    async def entered() -> Any:
        return await conn.fetchrow(
            "SELECT id, status, quantity, entry_price, stop FROM strategy.positions "
            "WHERE user_id = $1 AND status = 'open'",
            user_id,
        )

    position = await _until(entered, 30, "the entry filling")
    seen = await _market_minute(conn)
    await asyncio.to_thread(platform.kill)
    minute = await _market_minute(conn)
    print(
        "DEBUG seen",
        seen,
        "after kill",
        minute,
        await conn.fetch(
            "SELECT bar_start, action FROM strategy.signals WHERE user_id = $1", user_id
        ),
    )
    assert ENTRY <= minute < STOP, f"killed at market minute {minute}"
    assert 0 < position["stop"] < position["entry_price"]
    held = await conn.fetchval(
        "SELECT quantity FROM execution.positions WHERE user_id = $1 AND venue = $2 "
        "AND symbol = $3",
        user_id,
        VENUE,
        SYMBOL,
    )
    assert held == position["quantity"] > 0  # the entry filled, and nothing sold it yet
    assert (
        await conn.fetchval("SELECT count(*) FROM strategy.intents WHERE user_id = $1", user_id)
        == 1
    )  # the stop not triggered yet

    platform.start()
    await platform.wait_ready()

    async def closed() -> Any:
        return await conn.fetchrow(
            "SELECT status, close_reason, exited, quantity FROM strategy.positions "
            "WHERE id = $1 AND status = 'closed'",
            position["id"],
        )

    done = await _until(closed, 90, "the stop closing the position", every=0.2)
    await asyncio.sleep(1)  # anything that would come twice has had time to
    await _check_books(platform, conn, user_id, position, done)


async def _check_books(
    platform: PlatformProcess, conn: asyncpg.Connection, user_id: str, position: Any, done: Any
) -> None:
    assert done["close_reason"] == "stop_loss" and done["exited"] == position["quantity"]
    intents = await conn.fetch(
        "SELECT kind, status, quantity, filled_quantity FROM strategy.intents "
        "WHERE user_id = $1 ORDER BY created_at",
        user_id,
    )
    assert [(i["kind"], i["status"]) for i in intents] == [
        ("entry", "filled"),
        ("stop_loss", "filled"),
    ]
    assert intents[1]["filled_quantity"] == position["quantity"]
    orders = await conn.fetch(
        "SELECT side, signal, status, filled_quantity FROM routing.orders WHERE user_id = $1 "
        "ORDER BY created_at",
        user_id,
    )
    assert [(o["side"], o["signal"], o["status"]) for o in orders] == [
        ("buy", "entry", "filled"),
        ("sell", "stop_loss", "filled"),
    ]
    sold = await conn.fetchval(
        "SELECT count(*) FROM execution.sim_orders s JOIN execution.orders o "
        "ON o.client_order_id = s.client_order_id WHERE o.user_id = $1 AND o.side = 'sell'",
        user_id,
    )
    assert sold == 1, "the venue saw one exit order"
    held = await conn.fetchrow(
        "SELECT quantity, realised_pnl FROM execution.positions WHERE user_id = $1 "
        "AND venue = $2 AND symbol = $3",
        user_id,
        VENUE,
        SYMBOL,
    )
    assert held["quantity"] == 0 and held["realised_pnl"] < 0  # stopped out at a loss

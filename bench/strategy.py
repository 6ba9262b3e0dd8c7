"""Bot benchmark: the time to evaluate one closed bar for 1, 100 and 1,000 running bots on one
pair, and the bots' signal-to-order latency, through the strategy module's real code.

1. Evaluation: the platform in this process (embedded PostgreSQL under a temporary data dir,
   or a fresh database on `--database-url` / `NIJA_DATABASE_URL`, dropped afterwards), its
   database only. N running bots are written to `strategy.bots`, then one bar at a time goes to
   strategy's `BarClosed` handler in a unit of work, as the bus's inbox would deliver it, and the
   transaction commits: the window, APEX once, the one query for the bots and the one for their
   positions, and each bot's own work. Three bars per N: a quiet bar (no signal: the common
   case), a signal bar (every bot enters: a position, an intent, a signal each) and the next
   bar with every position open (each bot checks its stop and targets).
2. Latency: the whole platform served in this process; traders register, store a binance key,
   start their bot; one signal bar is published on the bus and each bot's `OrderRouted` (routing
   took the intent through its risk gate and router) is timed from the publish.

The bars are the simulated binance BTC/USD market's five-minute bars (the same model as the
live venue), re-dated far in the future so the live bars never interleave. Target: a bar for
1,000 bots in under 50 ms.

    .venv/bin/python bench/strategy.py [--bots 1,100,1000] [--traders 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "migrations.piccolo_conf")

from bench.launcher import fresh_database
from modules.execution.contracts import BarClosed
from modules.execution.domain.sim_bars import sim_bar
from modules.execution.domain.sim_market import PROFILES
from modules.strategy.domain import apex
from modules.strategy.domain.bars import Bar

VENUE, SYMBOL, TIMEFRAME, STEP = "binance", "BTC/USD", "5m", 300
# Far ahead of the live market, by whole days (the session VWAP starts at midnight UTC).
FUTURE = 26_600 * 86_400
WINDOW = 200


def market(seed: int, bars: int = 2 * 288 + WINDOW) -> tuple[list[BarClosed], int]:
    """Simulated bars, re-dated, and the index of the first APEX entry after a full window."""
    end = 1_780_000_200
    depth = PROFILES[VENUE].depth
    shift = timedelta(seconds=FUTURE)
    events = [
        BarClosed(
            venue=VENUE,
            symbol=SYMBOL,
            timeframe=TIMEFRAME,
            start=b.start + shift,
            open=b.open,
            high=b.high,
            low=b.low,
            close=b.close,
            volume=b.volume,
        )
        for b in (
            sim_bar(seed, VENUE, depth, SYMBOL, "5m", end - STEP * (bars - i)) for i in range(bars)
        )
    ]
    series = [
        Bar(start=e.start, open=e.open, high=e.high, low=e.low, close=e.close, volume=e.volume)
        for e in events
    ]
    for i in range(WINDOW + 1, len(series) - 1):
        before = apex.evaluate(series[i - WINDOW : i]).long.action
        if (
            before != "entry"
            and apex.evaluate(series[i - WINDOW + 1 : i + 1]).long.action == "entry"
        ):
            return events, i
    raise SystemExit("no APEX entry in this stretch of the market: try another --seed")


def settings_for(data_dir: str, database_url: str | None, **extra: Any) -> Any:
    from modules.kernel.settings import load_settings

    values: dict[str, Any] = {"data_dir": data_dir, "log_level": "warning", **extra}
    if database_url:
        values["database_url"] = database_url
    return load_settings(environ={}, **values)


# ---- 1. one bar for N bots -------------------------------------------------------------------


async def _reset(conn: Any) -> None:
    for table in ("bots", "positions", "intents", "signals", "bar_verdicts", "outbox"):
        await conn.execute(f"DELETE FROM strategy.{table}")


async def _add_bots(conn: Any, bots: int) -> None:
    await conn.executemany(
        "INSERT INTO strategy.bots (user_id, status, mode, strategy, pairs, venue, timeframe, "
        "risk_level, max_position_usd, equity_usd, updated_at) VALUES ($1, 'running', 'paper', "
        "'apex_v71', $2::jsonb, $3, $4, 'high', 1000, 10000, now())",
        [(f"bench-{i:05d}", f'["{SYMBOL}"]', VENUE, TIMEFRAME) for i in range(bots)],
    )


class Cost(NamedTuple):
    wall: float  # ms, the handler and its commit
    cpu: float  # ms of CPU: this process's and the database backends' serving it


def _database_cpu(database: str) -> float:
    """CPU seconds the database's backends have used so far (the server is on this host):
    the scheduler's own count, in nanoseconds, where the process times tick only every 10 ms."""
    import psutil

    total = 0
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if database in cmdline and "postgres" in (proc.info.get("name") or ""):
            with contextlib.suppress(OSError, ValueError):
                total += int(Path(f"/proc/{proc.pid}/schedstat").read_text().split()[0])
    return total / 1e9


async def _timed(platform: Any, handler: Any, event: BarClosed, database: str = "") -> Cost:
    db_cpu = _database_cpu(database) if database else 0.0
    cpu = time.process_time()
    started = time.perf_counter()
    async with platform.runtime.unit_of_work("strategy") as uow:
        await handler(event, uow)
    wall = (time.perf_counter() - started) * 1000
    used = time.process_time() - cpu
    used += _database_cpu(database) - db_cpu if database else 0.0
    return Cost(wall, used * 1000)


async def _round(
    platform: Any, handler: Any, bars: list[BarClosed], signal: int, count: int, database: str
) -> tuple[Cost, Cost, Cost]:
    async with platform.runtime.db.connection() as conn:
        await _reset(conn)
    for event in bars[signal - WINDOW : signal - 1]:
        await _timed(platform, handler, event)
    async with platform.runtime.db.connection() as conn:
        await _add_bots(conn, count)
    quiet = await _timed(platform, handler, bars[signal - 1], database)
    entry = await _timed(platform, handler, bars[signal], database)
    async with platform.runtime.db.connection() as conn:
        entered = await conn.fetchval("SELECT count(*) FROM strategy.positions")
        # As the entry fills would: every position open at the signal's close.
        await conn.execute(
            "UPDATE strategy.positions SET status = 'open', quantity = planned_quantity, "
            "entry_price = $1",
            bars[signal].close,
        )
    protect = await _timed(platform, handler, bars[signal + 1], database)
    assert entered == count, f"{entered} of {count} bots entered"
    return quiet, entry, protect


async def evaluation(
    platform: Any, events: list[BarClosed], signal: int, counts: list[int], repeat: int
) -> list[tuple[int, Cost, Cost, Cost]]:
    """Each N `repeat` times; the best of the repeats (the machine may be shared: the least
    disturbed run is the closest to what the code costs)."""
    strategy = platform.modules["strategy"]
    [handler] = [s.handler for s in strategy.subscriptions() if s.event is BarClosed]
    database = urlsplit(platform.runtime.db.url).path.lstrip("/")
    rows = []
    runs = 0
    for count in counts:
        costs = []
        for _ in range(repeat):
            # Each run's bars a month after the last's, so the window starts afresh; it warms
            # up before the bots exist (a short window's verdicts are not the market timed).
            later = timedelta(days=30 * runs)
            runs += 1
            bars = [msgspec.structs.replace(e, start=e.start + later) for e in events]
            costs.append(await _round(platform, handler, bars, signal, count, database))
        best = [Cost(min(c[i].wall for c in costs), min(c[i].cpu for c in costs)) for i in range(3)]
        rows.append((count, best[0], best[1], best[2]))
    return rows


# ---- 2. signal to order ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _trader(client: Any, index: int) -> str:
    import secrets

    body = {
        "email": f"bench-bot-{index}-{secrets.token_hex(3)}@example.com",
        "password": "bench correct horse battery 1",
    }
    (await client.post("/v1/auth/register", json=body)).raise_for_status()
    token = (await client.post("/v1/auth/login", json=body)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    key = {
        "venue": VENUE,
        "api_key": f"{VENUE}-{secrets.token_hex(10)}",
        "api_secret": secrets.token_urlsafe(24),
    }
    (await client.post("/v1/credentials", json=key, headers=headers)).raise_for_status()
    roomy = {"equity_usd": "1000000000", "risk_level": "high"}
    (await client.patch("/v1/settings/trading", json=roomy, headers=headers)).raise_for_status()
    bot = {"venue": VENUE, "pairs": [SYMBOL], "timeframe": TIMEFRAME}
    (await client.put("/v1/bot", json=bot, headers=headers)).raise_for_status()
    return token


async def latency(app: Any, events: list[BarClosed], signal: int, traders: int) -> list[float]:
    import httpx

    from modules.kernel.events import decode_event, envelope_for
    from modules.kernel.ports import Delivery
    from modules.routing.contracts import IntentRefused, OrderRouted

    runtime = app.state.runtime
    routed: dict[str, float] = {}
    done = asyncio.Event()

    async def tap(envelope: Any) -> Delivery:
        event = decode_event(envelope.type, envelope.data)
        if isinstance(event, IntentRefused):
            raise SystemExit(f"routing refused a bot's intent: {event.code} {event.reason}")
        assert isinstance(event, OrderRouted)
        routed.setdefault(event.user_id, time.perf_counter())
        if len(routed) >= traders:
            done.set()
        return Delivery.SUCCESS

    async with served(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        runtime.pubsub.subscribe(OrderRouted.TOPIC, "bench.order-routed", tap)
        runtime.pubsub.subscribe(IntentRefused.TOPIC, "bench.intent-refused", tap)
        tokens = [await _trader(client, i) for i in range(traders)]
        # One at a time: the bus may deliver concurrent bars out of order, and a window with a
        # hole is rebuilt shorter (as it should be), which is not the market timed here.
        for event in events[signal - WINDOW : signal]:
            await runtime.pubsub.publish(envelope_for(event, "bench"))
            await runtime.pubsub.drain()
        for token in tokens:
            started = await client.post(
                "/v1/bot/start", headers={"Authorization": f"Bearer {token}"}
            )
            started.raise_for_status()
        sent = time.perf_counter()
        await runtime.pubsub.publish(envelope_for(events[signal], "bench"))
        await asyncio.wait_for(done.wait(), 30)
    return sorted((at - sent) * 1000 for at in routed.values())


# ---- main ------------------------------------------------------------------------------------


def _table(rows: list[tuple[int, Cost, Cost, Cost]], waits: list[float], traders: int) -> str:
    lines = [
        "one bar, N bots on binance BTC/USD 5m: wall ms (handler and commit) / CPU ms (this",
        "process and its database backends), best of the repeats",
        f"{'bots':>6}  {'quiet bar':>15}  {'signal bar':>15}  {'open positions':>15}",
    ]
    lines += [
        f"{n:>6}  " + "  ".join(f"{c.wall:>7.1f} / {c.cpu:>5.1f}" for c in (q, e, p))
        for n, q, e, p in rows
    ]
    lines += [
        "",
        f"signal to order (bar published -> OrderRouted on the bus), {traders} bots, ms:",
        f"  first {waits[0]:.1f}   p50 {statistics.median(waits):.1f}   last {waits[-1]:.1f}",
        "",
        "target: one bar for 1,000 bots under 50 ms; signal bar: every bot enters",
        f"load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def embedded(data_dir: str, server: str | None) -> Iterator[str]:
    """The given server, or one embedded PostgreSQL for both parts: the embedded library keeps
    one server object per process, which cannot be started again once stopped."""
    if server:
        yield server
        return
    from modules.kernel.embedded_pg import EmbeddedServer

    pg = EmbeddedServer(os.path.join(data_dir, "server"))
    url = pg.start()
    try:
        yield url
    finally:
        pg.stop()


async def main(args: argparse.Namespace) -> None:
    from app import Platform, create_app

    events, signal = market(args.seed)
    counts = [int(n) for n in args.bots.split(",")]
    server = args.database_url or os.environ.get("NIJA_DATABASE_URL")
    with (
        tempfile.TemporaryDirectory(prefix="nija-bench-") as data_dir,
        embedded(data_dir, server) as server,
    ):
        async with fresh_database(server, "nija_bench") as database_url:
            platform = Platform(settings_for(data_dir, database_url))
            await platform.start(serve=False)
            try:
                rows = await evaluation(platform, events, signal, counts, args.repeat)
            finally:
                await platform.stop()
        async with fresh_database(server, "nija_bench") as database_url:
            settings = settings_for(
                data_dir, database_url, sim_latency_scale=0.05, outbox_poll_seconds=0.05
            )
            waits = await latency(create_app(settings), events, signal, args.traders)
    print(_table(rows, waits, args.traders))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", default="1,100,1000", help="bot counts, comma-separated")
    parser.add_argument("--traders", type=int, default=10, help="bots timed signal to order")
    parser.add_argument("--repeat", type=int, default=3, help="runs per N; the best is shown")
    parser.add_argument("--seed", type=int, default=7, help="the simulated market's seed")
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))

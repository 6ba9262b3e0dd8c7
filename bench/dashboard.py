"""Dashboard read-side benchmark: `GET /v1/dashboard/overview` and `/activity` p50/p99 with
100,000 fills stored for one trader among 1,000, beside a bare Litestar GET, in one run.

1. Starts `nija run` (hosting the dashboard module) on a fresh database: an embedded PostgreSQL
   started here under a temporary dir, or a new database on `--database-url` /
   `NIJA_DATABASE_URL` (dropped afterwards). Start-up applies the migrations.
2. Seeds the read model with bulk SQL (COPY), not through the API: `--fills` fills for the
   heavy trader over a year and `--other-fills` for each of the other `--users - 1` over a
   month, on six markets, each fill with its position step, round trips closing positions
   (one left open per market), routes, days, balances with an equity report per fill, marks
   and account events, then ANALYZE.
3. Times `--requests` sequential requests of each kind with tokens minted by the platform's
   own codec (the JWT secret is set for the run): the heavy trader's overview, other traders'
   overviews, the heavy trader's first activity page, and a page a thousand pages deep (a
   cursor); then the same number of GETs of a fixed overview-sized body from `bare_app.py`.

Loopback, bounded, stops by itself. Target: p99 < 25 ms.
Run: .venv/bin/python bench/dashboard.py [--users 1000] [--fills 100000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.launcher import PlatformProcess, free_port, fresh_database
from bench.load import percentile
from bench.orders import BARE_APP
from modules.kernel.auth import Principal, TokenCodec

MARKETS = [(v, s) for v in ("binance", "kraken", "coinbase") for s in ("BTC/USD", "ETH/USD")]
PRICE = {"BTC/USD": 60000.0, "ETH/USD": 3000.0}
TARGET_P99_MS = 25.0
CENT = Decimal("0.01")
NOW = datetime.now(UTC)
_TRADE_COLUMNS = (
    "user_id venue symbol fill_id order_id side price quantity fee fee_currency fee_quote "
    "liquidity executed_at position_id version position_quantity average_entry realised_total "
    "fees_total realised_delta step_at closes closed_cycle cycle_pnl cycle_pnl_pct revision"
).split()
_POSITION_COLUMNS = (
    "position_id open_version user_id venue symbol side status quantity peak_quantity "
    "entry_price realised_base fees_base realised_pnl fees opened_at closed_at last_version "
    "close_version revision"
).split()
_DAILY = ("trades", "volume", "fees", "pnl", "closed", "wins", "losses", "won", "lost")


class Seed:
    """Rows for COPY, built market by market as round trips: buy (or sell) then close."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.trades: list[tuple[Any, ...]] = []
        self.positions: list[tuple[Any, ...]] = []
        self.heads: list[tuple[Any, ...]] = []
        self.routes: list[tuple[Any, ...]] = []
        self.daily: dict[tuple[str, date], list[Any]] = {}
        self.reports: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.users: list[tuple[Any, ...]] = []
        self.balances: list[tuple[Any, ...]] = []

    def user(self, user_id: str, fills: int, span: timedelta) -> None:
        """`fills` fills over `span` to now, spread over the markets; a report per fill."""
        start = NOW - span
        step = span / (fills + 1)
        equity = {venue: Decimal(10_000) for venue, _ in MARKETS}
        for index, (venue, symbol) in enumerate(MARKETS):
            count = fills // len(MARKETS) + (index < fills % len(MARKETS))
            gap = step * len(MARKETS)
            for gained in self._market(user_id, venue, symbol, count, start + step * index, gap):
                equity[venue] += gained
                reported_at = self.trades[-1][12]
                self.reports.append((user_id, venue, equity[venue].quantize(CENT), reported_at))
        for venue in {v for v, _ in MARKETS}:
            worth = equity[venue].quantize(CENT)
            held = msgspec.json.encode({"USD": str(worth)}).decode()
            self.balances.append((user_id, venue, str(uuid.uuid4()), held, worth, NOW, 1))
        for n in range(fills // 500 + 2):
            at = start + span * self.rng.random()
            kind = "bot" if n % 2 else "security"
            self.events.append((user_id, kind, at, "paused" if kind == "bot" else "new_device"))
        self.users.append((user_id, "UTC", 1, "running", "off", NOW, 1))

    def _market(
        self, user_id: str, venue: str, symbol: str, fills: int, at: datetime, gap: timedelta
    ) -> Iterator[Decimal]:
        """Round trips on one market, the last left open; yields each fill's realised P&L."""
        position_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user_id}:{venue}:{symbol}"))
        price = PRICE[symbol]
        realised = fees = Decimal(0)
        held = Decimal(0)
        entry = Decimal(0)
        cycle: dict[str, Any] = {}
        for version in range(1, fills + 1):
            price *= 1 + self.rng.uniform(-0.004, 0.004)
            p = Decimal(f"{price:.2f}")
            opening = held == 0
            side = self.rng.choice(("buy", "sell")) if opening else ("sell" if held > 0 else "buy")
            quantity = Decimal(f"{self.rng.uniform(0.01, 0.5):.4f}") if opening else abs(held)
            fee = (p * quantity * Decimal("0.001")).quantize(Decimal("0.00000001"))
            gained = -fee
            if opening:
                held, entry = (quantity if side == "buy" else -quantity), p
                cycle = {
                    "open": version,
                    "at": at,
                    "base_r": realised,
                    "base_f": fees,
                    "peak": quantity,
                    "side": "long" if side == "buy" else "short",
                }
            else:
                gained += (p - entry) * held
                held = Decimal(0)
            realised += gained
            fees += fee
            closes = not opening
            pnl = realised - cycle["base_r"]
            pct = (pnl * 100 / (entry * cycle["peak"])).quantize(Decimal("0.01"))
            order_id = str(uuid.uuid4())
            self.trades.append(
                (
                    user_id,
                    venue,
                    symbol,
                    uuid.uuid4().hex,
                    order_id,
                    side,
                    p,
                    quantity,
                    fee,
                    "USD",
                    fee,
                    "taker",
                    at,
                    position_id,
                    version,
                    held,
                    entry if held else Decimal(0),
                    realised,
                    fees,
                    gained,
                    at,
                    closes,
                    cycle["open"] if closes else None,
                    pnl if closes else None,
                    pct if closes else None,
                    2,
                )
            )
            self.routes.append(
                (
                    order_id,
                    order_id,
                    user_id,
                    "nija-" + order_id.replace("-", "")[:24],
                    symbol,
                    side,
                    quantity,
                    venue,
                    "manual",
                    0,
                    p,
                    fee,
                    at,
                )
            )
            self._day(user_id, at, fee, gained, p * quantity, pnl if closes else None)
            if closes or version == fills:
                self.positions.append(
                    (
                        position_id,
                        cycle["open"],
                        user_id,
                        venue,
                        symbol,
                        cycle["side"],
                        "closed" if closes else "open",
                        held,
                        cycle["peak"],
                        entry,
                        cycle["base_r"],
                        cycle["base_f"],
                        pnl,
                        fees - cycle["base_f"],
                        cycle["at"],
                        at if closes else None,
                        version,
                        version if closes else None,
                        version,
                    )
                )
            yield gained
            at += gap
        self.heads.append((position_id, user_id, fills, held, fills))

    def _day(
        self,
        user_id: str,
        at: datetime,
        fee: Decimal,
        pnl: Decimal,
        volume: Decimal,
        closed: Decimal | None,
    ) -> None:
        row = self.daily.setdefault(
            (user_id, at.date()),
            [0, Decimal(0), Decimal(0), Decimal(0), 0, 0, 0, Decimal(0), Decimal(0)],
        )
        row[0] += 1
        row[1] += volume
        row[2] += fee
        row[3] += pnl
        if closed is not None:
            row[4] += 1
            row[5] += closed > 0
            row[6] += closed < 0
            row[7] += max(closed, Decimal(0))
            row[8] += max(-closed, Decimal(0))


async def seed(database_url: str, args: argparse.Namespace) -> tuple[str, list[str]]:
    rng = random.Random(7)
    data = Seed(rng)
    heavy = str(uuid.uuid4())
    others = [str(uuid.uuid4()) for _ in range(args.users - 1)]
    started = time.perf_counter()
    data.user(heavy, args.fills, timedelta(days=365))
    for user_id in others:
        data.user(user_id, args.other_fills, timedelta(days=30))
    built = time.perf_counter()
    conn = await asyncpg.connect(database_url)
    try:
        copy = conn.copy_records_to_table
        await copy("trades", schema_name="dashboard", columns=_TRADE_COLUMNS, records=data.trades)
        await copy(
            "positions", schema_name="dashboard", columns=_POSITION_COLUMNS, records=data.positions
        )
        await copy(
            "position_heads",
            schema_name="dashboard",
            columns=["position_id", "user_id", "last_version", "last_quantity", "revision"],
            records=data.heads,
        )
        await copy(
            "routes",
            schema_name="dashboard",
            columns=[
                "order_id",
                "trader_order_id",
                "user_id",
                "client_order_id",
                "symbol",
                "side",
                "quantity",
                "venue",
                "signal",
                "attempt",
                "expected_price",
                "expected_fee",
                "routed_at",
            ],
            records=data.routes,
        )
        await copy(
            "daily",
            schema_name="dashboard",
            columns=["user_id", "day", *_DAILY],
            records=[(u, d, *v) for (u, d), v in data.daily.items()],
        )
        await copy(
            "equity_reports",
            schema_name="dashboard",
            columns=["user_id", "venue", "equity_usd", "reported_at"],
            records=data.reports,
        )
        await copy(
            "balances",
            schema_name="dashboard",
            columns=[
                "user_id",
                "venue",
                "credential_id",
                "balances",
                "equity_usd",
                "reported_at",
                "revision",
            ],
            records=data.balances,
        )
        await copy(
            "account_events",
            schema_name="dashboard",
            columns=["user_id", "kind", "at", "code"],
            records=data.events,
        )
        await copy(
            "user_state",
            schema_name="dashboard",
            columns=[
                "user_id",
                "timezone",
                "pnl_revision",
                "bot_status",
                "bot_previous",
                "bot_changed_at",
                "bot_revision",
            ],
            records=data.users,
        )
        marks = [(v, s, Decimal(f"{PRICE[s]:.2f}"), NOW) for v, s in MARKETS]
        await copy(
            "marks",
            schema_name="dashboard",
            columns=["venue", "symbol", "price", "at"],
            records=marks,
        )
        await conn.execute("ANALYZE")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM dashboard.trades) AS fills, "
            "(SELECT count(*) FROM dashboard.trades WHERE user_id = $1) AS heavy, "
            "(SELECT count(*) FROM dashboard.positions) AS positions, "
            "(SELECT count(DISTINCT user_id) FROM dashboard.user_state) AS users",
            heavy,
        )
    finally:
        await conn.close()
    print(
        f"seeded {counts['fills']:,} fills ({counts['heavy']:,} of the heavy trader), "
        f"{counts['positions']:,} positions, {counts['users']:,} users "
        f"(built {built - started:.1f} s, copied {time.perf_counter() - built:.1f} s)"
    )
    return heavy, others


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def timed(
    client: httpx.AsyncClient, request: Request, count: int, warmup: int
) -> list[float]:
    for n in range(warmup):
        (await request(client, n)).raise_for_status()
    samples = []
    for n in range(count):
        started = time.perf_counter()
        response = await request(client, n)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


async def bench_nija(
    args: argparse.Namespace, data_dir: Path, server: str
) -> dict[str, list[float]]:
    secret = secrets.token_urlsafe(48)
    env = {
        "NIJA_JWT_SECRET": secret,
        "NIJA_MODULES": args.modules,
        "NIJA_LOG_LEVEL": "WARNING",
        "NIJA_API_RATE_LIMITS_PER_MINUTE": '{"basic": 100000000}',
    }
    async with fresh_database(server, "nija_bench") as database_url:
        assert database_url is not None
        platform = PlatformProcess(data_dir / "nija", database_url=database_url, extra_env=env)
        platform.start()
        try:
            await platform.wait_ready()
            heavy, others = await seed(database_url, args)
            codec = TokenCodec(secret)
            token = {u: codec.issue(Principal(user_id=u, role="trader")) for u in [heavy, *others]}

            def as_user(user_id: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {token[user_id]}"}

            async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
                deep = await _deep_cursor(client, as_user(heavy), args.deep_pages)
                kinds: dict[str, Request] = {
                    "authenticated GET (notifications)": lambda c, n: c.get(
                        "/v1/notifications", params={"limit": 1}, headers=as_user(heavy)
                    ),
                    "overview, 100k-fill trader": lambda c, n: c.get(
                        "/v1/dashboard/overview", headers=as_user(heavy)
                    ),
                    "overview, other traders": lambda c, n: c.get(
                        "/v1/dashboard/overview", headers=as_user(others[n % len(others)])
                    ),
                    "activity page 1, 100k-fill trader": lambda c, n: c.get(
                        "/v1/dashboard/activity", headers=as_user(heavy)
                    ),
                    f"activity page {args.deep_pages + 1} (cursor)": lambda c, n: c.get(
                        "/v1/dashboard/activity", params={"cursor": deep}, headers=as_user(heavy)
                    ),
                }
                results = {
                    name: await timed(client, request, args.requests, args.warmup)
                    for name, request in kinds.items()
                }
            results.update(await in_process(database_url, data_dir, heavy, args))
            return results
        finally:
            await asyncio.to_thread(platform.stop)


async def in_process(
    database_url: str, data_dir: Path, heavy: str, args: argparse.Namespace
) -> dict[str, list[float]]:
    """The read model alone: the views' queries and shaping, called here (no HTTP, no auth)."""
    from modules.dashboard.views.activity import ActivityFilter, ActivityViews
    from modules.dashboard.views.overview import OverviewViews
    from modules.kernel.db import Database

    db = Database(database_url, str(data_dir))
    await db.start()
    encode = msgspec.json.Encoder().encode
    overview = OverviewViews(db, lambda: datetime.now(UTC))
    activity = ActivityViews(db)
    calls = {
        "  overview views only, in-process": lambda: overview.overview(heavy),
        "  activity views only, in-process": lambda: activity.page(
            heavy, ActivityFilter(), 50, None
        ),
    }
    results: dict[str, list[float]] = {}
    try:
        for name, call in calls.items():
            for _ in range(args.warmup):
                encode(await call())
            samples = []
            for _ in range(args.requests):
                started = time.perf_counter()
                encode(await call())
                samples.append((time.perf_counter() - started) * 1000)
            results[name] = samples
    finally:
        await db.stop()
    return results


async def _deep_cursor(client: httpx.AsyncClient, headers: dict[str, str], pages: int) -> str:
    cursor = None
    for _ in range(pages):
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/dashboard/activity", params=params, headers=headers)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
    assert cursor is not None
    return cursor


async def bench_bare(args: argparse.Namespace) -> list[float]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BARE_APP),
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(200):
                try:
                    await client.post("/health")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
            return await timed(
                client,
                lambda c, n: c.get("/v1/dashboard/overview", headers={"Authorization": "Bearer x"}),
                args.requests,
                args.warmup,
            )
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


def report(results: dict[str, list[float]], bare: list[float], args: argparse.Namespace) -> str:
    width = max(len(name) for name in [*results, "bare Litestar GET"])
    lines = [
        f"{args.requests} sequential requests each, after {args.warmup} to warm up (ms); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        f"{'':<{width}}  {'p50':>7}  {'p99':>7}  {'max':>7}",
    ]
    for name, samples in [*results.items(), ("bare Litestar GET", bare)]:
        p50, p99 = percentile(samples, 50), percentile(samples, 99)
        lines.append(f"{name:<{width}}  {p50:>7.2f}  {p99:>7.2f}  {max(samples):>7.2f}")
    worst = max(percentile(s, 99) or 0 for n, s in results.items() if not n.startswith(" "))
    verdict = "met" if worst < TARGET_P99_MS else "MISSED"
    lines.append(f"target p99 < {TARGET_P99_MS:.0f} ms: {verdict} (worst p99 {worst:.2f} ms)")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    from modules.kernel.embedded_pg import EmbeddedServer

    with tempfile.TemporaryDirectory(prefix="nija-bench-dash-") as tmp:
        data_dir = Path(tmp)
        server = args.database_url or os.environ.get("NIJA_DATABASE_URL")
        embedded = None
        if not server:
            embedded = EmbeddedServer(str(data_dir / "pg-server"))
            server = await asyncio.to_thread(embedded.start)
        try:
            results = await bench_nija(args, data_dir, server)
        finally:
            if embedded is not None:
                await asyncio.to_thread(embedded.stop)
    bare = await bench_bare(args)
    print(report(results, bare, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--fills", type=int, default=100_000, help="the heavy trader's fills")
    parser.add_argument("--other-fills", type=int, default=100, help="each other trader's")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--deep-pages", type=int, default=999, help="pages of 100 skipped")
    parser.add_argument("--modules", default="dashboard", help="NIJA_MODULES for the run")
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))

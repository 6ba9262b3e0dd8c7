"""Order-path benchmark: NIJA end to end, next to a bare Litestar endpoint, in one run.

Starts `nija run` in a subprocess (embedded PostgreSQL unless --database-url/NIJA_DATABASE_URL
names a server, in which case a fresh database is created on it and dropped afterwards), creates
N traders with credentials for every venue, each holding an authenticated WebSocket, then places
market orders concurrently over HTTP. It then sends the same load to a bare Litestar app (one
POST handler answering 202) in another subprocess and prints both side by side.

Everything is loopback and bounded (an order count and a time limit); it stops by itself.
Run: .venv/bin/python bench/orders.py --users 20 --orders 400 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cost import CostProbe, cost_report, embedded_database_url, texts_report
from bench.history import grow
from bench.launcher import PlatformProcess, free_port, running_platform
from bench.load import Run, load, percentile
from modules.execution.domain.sim_market import PROFILES

VENUES = ("coinbase", "kraken", "binance")
PASSWORD = "bench correct horse battery 1"
BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
HISTORY_WARM_UP_ORDERS = 100


@dataclass
class Trader:
    email: str
    token: str
    socket: ClientConnection | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# ---- NIJA set-up ---------------------------------------------------------------------------


async def _create_trader(client: httpx.AsyncClient, index: int) -> Trader:
    email = f"bench-{index}-{uuid.uuid4().hex[:6]}@example.com"
    body = {"email": email, "password": PASSWORD}
    registered = await client.post("/v1/auth/register", json=body)
    registered.raise_for_status()
    trader = Trader(email=email, token=await _sign_in(client, email))
    for venue in VENUES:
        credential = {
            "venue": venue,
            "api_key": f"{venue}-{secrets.token_hex(10)}",
            "api_secret": secrets.token_urlsafe(24),
        }
        stored = await client.post("/v1/credentials", json=credential, headers=trader.headers)
        stored.raise_for_status()
    return trader


async def _sign_in(client: httpx.AsyncClient, email: str) -> str:
    """A fresh access token for the bench trader `email`."""
    login = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    return str(login.json()["access_token"])


async def _sign_in_again(client: httpx.AsyncClient, traders: list[Trader]) -> None:
    """Fresh access tokens: growing a long history outlasts the ones the traders started with."""
    for trader in traders:
        trader.token = await _sign_in(client, trader.email)


async def _open_socket(ws_url: str, trader: Trader) -> None:
    socket = await connect(ws_url, open_timeout=10, max_queue=None)
    await socket.send(json.dumps({"type": "auth", "token": trader.token}))
    reply = json.loads(await asyncio.wait_for(socket.recv(), 10))
    if reply.get("type") != "auth.ok":
        raise RuntimeError(f"WebSocket auth failed: {reply}")
    trader.socket = socket


async def _listen(trader: Trader, run: Run) -> None:
    """Record when each order's first `order.filled` reaches its owner's socket."""
    assert trader.socket is not None
    async for raw in trader.socket:
        now = time.perf_counter()
        message = json.loads(raw)
        run.pushed[str(message.get("type"))] += 1
        run.pushed_bytes += len(raw)
        order = message.get("order") or {}
        if message.get("type") == "order.updated" and order.get("status") == "rejected":
            run.rejected[order["id"]] = str(order.get("reason"))[:60]
        if message.get("type") == "order.filled":
            run.filled_at.setdefault(order["id"], now)
            run.filled_on.setdefault(order["id"], str(order.get("venue")))


# ---- load ----------------------------------------------------------------------------------


async def _wait_for_fills(run: Run, within: float) -> float:
    """Wait until every accepted order's fill was pushed (or `within` s); returns the last time."""
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if all(order_id in run.filled_at for order_id in run.sent_at):
            break
        await asyncio.sleep(0.05)
    return max(run.filled_at.values(), default=run.finished)


def _client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits)


async def bench_nija(args: argparse.Namespace, data_dir: Path) -> tuple[Run, float]:
    # The bench measures the platform's capacity, not the per-user throttles a trader meets:
    # lift the API budget and routing's per-user order rate unless the caller says otherwise;
    # and the paper wallets' dollars, which 600 buys a trader (the open loop) would spend.
    extra_env = {
        "NIJA_SIM_PAPER_USD": "100000000",
        "NIJA_API_RATE_LIMITS_PER_MINUTE": '{"basic": 1000000}',
        "NIJA_ROUTING_ORDER_RATE_PER_SECOND": "100000",
        "NIJA_ROUTING_ORDER_RATE_BURST": "100000",
        "NIJA_ROUTING_TIERS": '{"basic": {"max_open_positions": 50, "trades_per_day": 1000000}}',
        "NIJA_LOG_LEVEL": "WARNING",
        # The platform counts its statements and transactions by module (the cost per order).
        "NIJA_DB_STATEMENT_STATS": "1",
        **({"NIJA_DB_STATEMENT_TEXTS": "1"} if args.statements else {}),
        **dict(pair.split("=", 1) for pair in args.env),
    }
    async with running_platform(
        data_dir, server_url=args.database_url, extra_env=extra_env, db_prefix="nija_bench"
    ) as first:
        async with _replicas(first, args.processes - 1, extra_env) as others:
            return await _drive(args, [first, *others])


@contextlib.asynccontextmanager
async def _replicas(
    first: PlatformProcess, count: int, extra_env: dict[str, str]
) -> AsyncIterator[list[PlatformProcess]]:
    """More `nija run` processes on the first one's database, as Nomad replicas are (with the
    embedded server, they join the first process's)."""
    others = [
        PlatformProcess(first.data_dir, database_url=first.database_url, extra_env=extra_env)
        for _ in range(count)
    ]
    try:
        for other in others:
            other.start()
        for other in others:
            await other.wait_ready()
        yield others
    finally:
        for other in others:
            await asyncio.to_thread(other.stop)


async def _drive(args: argparse.Namespace, platforms: list[PlatformProcess]) -> tuple[Run, float]:
    """Traders, their sockets (each on another process than the one taking its orders, when
    there are several), the load, and the cost of it all."""
    first = platforms[0]
    async with _client(first.base_url, max(args.concurrency, args.users)) as client:
        gate = asyncio.Semaphore(8)

        async def create(index: int) -> Trader:
            async with gate:
                return await _create_trader(client, index)

        traders = await asyncio.gather(*(create(i) for i in range(args.users)))
        await asyncio.gather(
            *(
                _open_socket(platforms[(i + 1) % len(platforms)].ws_url, t)
                for i, t in enumerate(traders)
            )
        )
        # Routing needs a first market tick of every venue's book before it can score.
        await asyncio.sleep(args.warmup)
        database_url = first.database_url or embedded_database_url(first.data_dir)
        probe = CostProbe([p.base_url for p in platforms], [p.pid for p in platforms], database_url)
        run = Run(cost_before=await probe.snapshot())
        listeners = [asyncio.create_task(_listen(t, run)) for t in traders]
        try:
            await _orders_load(args, platforms, traders, run)
            last_fill = await _wait_for_fills(run, args.fill_timeout)
            run.cost_after = await probe.snapshot()
            if args.history and database_url:
                run.history = await _with_history(args, platforms, traders, database_url, client)
        finally:
            for task in listeners:
                task.cancel()
            for trader in traders:
                if trader.socket is not None:
                    await trader.socket.close()
        return run, last_fill


async def _with_history(
    args: argparse.Namespace,
    platforms: list[PlatformProcess],
    traders: list[Trader],
    database_url: str,
    client: httpx.AsyncClient,
) -> str:
    """The same load again once the database holds `--history` orders: does accepting an order
    cost more with a long history? (target: accept p50 within 10 % of the baseline's)

    The baseline is the same load run again first, on processes as warm as the history run's:
    the measured run starts on processes just started, which once made a history run look 20 %
    faster than empty."""
    baseline = await _orders_load(args, platforms, traders)
    grown = await grow(database_url, args.history)
    await _sign_in_again(client, traders)
    # The copy leaves the processes idle for minutes: their pooled connections expire and are
    # opened again on the next orders, with the driver's type look-ups (31 of 13 ms each once).
    # Warmed up like the baseline, the run measures the history, not the pool's refilling.
    await _orders_load(args, platforms, traders, total=HISTORY_WARM_UP_ORDERS)
    with_history = await _orders_load(args, platforms, traders)
    empty_p50 = percentile(baseline.accept_ms, 50)
    history_p50 = percentile(with_history.accept_ms, 50)
    change = (
        f"{(history_p50 / empty_p50 - 1) * 100:+.1f} %"
        if empty_p50 and history_p50 is not None
        else "-"
    )
    return (
        f"{grown}\naccept p50 warm and empty: {_ms(empty_p50)} ms "
        f"(p99 {_ms(percentile(baseline.accept_ms, 99))}, {baseline.accepted} accepted"
        f"{_refusals(baseline)}); with that history: {_ms(history_p50)} ms "
        f"(p99 {_ms(percentile(with_history.accept_ms, 99))}, {with_history.accepted} accepted"
        f"{_refusals(with_history)}); change {change} (target within 10 %)"
    )


async def _orders_load(
    args: argparse.Namespace,
    platforms: list[PlatformProcess],
    traders: list[Trader],
    run: Run | None = None,
    total: int | None = None,
) -> Run:
    """The bench's order load, spread over the processes and the traders."""
    return await load(
        [p.base_url for p in platforms],
        [t.headers for t in traders],
        _order_body(args),
        total=args.orders if total is None else total,
        concurrency=args.concurrency,
        duration=args.duration,
        rate=args.rate,
        run=run,
    )


def _refusals(run: Run) -> str:
    other = {status: n for status, n in run.statuses.items() if status != 202}
    return f", refused: {other}, {run.errors[:3]}" if other or run.errors else ""


def _order_body(args: argparse.Namespace) -> dict[str, Any]:
    return {"symbol": args.symbol, "side": "buy", "type": "market", "quantity": args.quantity}


async def bench_bare(args: argparse.Namespace, requests: int) -> Run:
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
        base = f"http://127.0.0.1:{port}"
        async with _client(base, args.concurrency) as client:
            for _ in range(200):
                try:
                    await client.post("/health")
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
            headers = [{"Authorization": "Bearer x"}]
            # Warm-up (imports, first connections) stays out of the measured run.
            await load(
                [base],
                headers,
                _order_body(args),
                total=100,
                concurrency=args.concurrency,
                duration=5,
            )
            return await load(
                [base],
                headers,
                _order_body(args),
                total=requests,
                concurrency=args.concurrency,
                duration=args.duration,
                rate=args.rate,
            )
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


# ---- report --------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def report(args: argparse.Namespace, nija: Run, last_fill: float, bare: Run) -> str:
    fill_ms = [
        (nija.filled_at[order_id] - sent) * 1000
        for order_id, sent in nija.sent_at.items()
        if order_id in nija.filled_at
    ]
    missing = len(nija.sent_at) - len(fill_ms)
    end_to_end = len(fill_ms) / max(last_fill - nija.started, 1e-9)
    rows = [
        ("requests sent", str(sum(nija.statuses.values())), str(sum(bare.statuses.values()))),
        ("202 accepted", str(nija.accepted), str(bare.accepted)),
        (
            "orders/s (accept)",
            f"{nija.accepted / nija.seconds:.1f}",
            f"{bare.accepted / bare.seconds:.1f}",
        ),
        ("accept p50 ms", _ms(percentile(nija.accept_ms, 50)), _ms(percentile(bare.accept_ms, 50))),
        ("accept p99 ms", _ms(percentile(nija.accept_ms, 99)), _ms(percentile(bare.accept_ms, 99))),
        ("fills on WebSocket", f"{len(fill_ms)} ({missing} missing)", "-"),
        ("orders/s (to fill)", f"{end_to_end:.1f}", "-"),
        ("order->WS fill p50 ms", _ms(percentile(fill_ms, 50)), "-"),
        ("order->WS fill p99 ms", _ms(percentile(fill_ms, 99)), "-"),
    ]
    width = max(len(r[0]) for r in rows)
    database = "external" if args.database_url else "embedded"
    load = f"concurrency={args.concurrency}" if args.rate is None else f"rate={args.rate:g}/s"
    lines = [
        f"processes={args.processes} users={args.users} orders={args.orders} {load} "
        f"symbol={args.symbol} quantity={args.quantity} db={database}",
        f"{'':<{width}}  {'NIJA':>22}  {'bare Litestar':>14}",
    ]
    lines += [f"{name:<{width}}  {a:>22}  {b:>14}" for name, a, b in rows]
    ratio = (bare.accepted / bare.seconds) / max(nija.accepted / nija.seconds, 1e-9)
    p50 = percentile(nija.accept_ms, 50)
    bare_p50 = percentile(bare.accept_ms, 50)
    lines.append(f"bare/NIJA throughput ratio: {ratio:.1f}x")
    if p50 is not None and bare_p50:
        lines.append(f"NIJA/bare accept p50 ratio: {p50 / bare_p50:.1f}x")
    if fill_ms and nija.history is None:  # a history run's sockets also saw its warm-up load
        kinds = ", ".join(f"{kind} {n / len(fill_ms):.1f}" for kind, n in nija.pushed.most_common())
        lines.append(
            f"pushed per order: {sum(nija.pushed.values()) / len(fill_ms):.1f} messages, "
            f"{nija.pushed_bytes / len(fill_ms):,.0f} bytes ({kinds})"
        )
    if fill_ms:
        lines.append(_fills_by_venue(nija))
    if nija.rejected:
        reasons = Counter(nija.rejected.values()).most_common(3)
        lines.append(f"rejected after their 202: {len(nija.rejected)} ({reasons})")
    if nija.history is not None:
        lines.append(nija.history)
    if nija.cost_before is not None and nija.cost_after is not None:
        lines.append(cost_report(nija.cost_before, nija.cost_after, len(fill_ms)))
        if args.statements:
            top = args.statements
            lines.append(texts_report(nija.cost_before, nija.cost_after, len(fill_ms), top))
    other = {k: v for k, v in nija.statuses.items() if k != 202}
    if other or nija.errors:
        lines.append(f"NIJA non-202 responses: {other}; first errors: {nija.errors[:3]}")
    return "\n".join(lines)


def _fills_by_venue(run: Run) -> str:
    """Fill latency by the venue that filled, beside that venue's simulated network latency
    (the fill target is that latency plus 250 ms)."""
    by_venue: dict[str, list[float]] = {}
    for order_id, venue in run.filled_on.items():
        sent = run.sent_at.get(order_id)  # None: a warm-up order
        if sent is not None:
            by_venue.setdefault(venue, []).append((run.filled_at[order_id] - sent) * 1000)
    parts = []
    for venue, fills in sorted(by_venue.items()):
        profile = PROFILES.get(venue)
        latency = "?" if profile is None else f"{profile.latency_ms:.0f}"
        parts.append(
            f"{venue} {len(fills)} (latency {latency} ms): "
            f"p50 {_ms(percentile(fills, 50))}, p99 {_ms(percentile(fills, 99))}"
        )
    return "order->WS fill by venue: " + "; ".join(parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="traders, each with a WebSocket")
    parser.add_argument(
        "--orders", type=int, default=400, help="orders in total (and bare requests)"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="requests in flight at once")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="`nija run` processes on one database, as Nomad replicas; orders are spread over "
        "them and each trader's socket is on another process than its orders",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: send this many orders a second whatever the answers (latency at a "
        "given load); default: closed loop with --concurrency in flight (capacity)",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="max seconds of load per side")
    parser.add_argument("--fill-timeout", type=float, default=120.0, help="max wait for last fill")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before placing orders")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="after the run, send the same load again as a warm baseline, grow the database to "
        "this many orders (copies of the runs' history) and send it once more: accept p50 "
        "with and without history",
    )
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="also print the N statements sent most per order, with their module (the platform "
        "counts statement texts: NIJA_DB_STATEMENT_TEXTS)",
    )
    parser.add_argument("--symbol", default="BTC/USD")
    parser.add_argument("--quantity", default="0.001")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("NIJA_DATABASE_URL") or None,
        help="PostgreSQL server to create a fresh bench database on (default: embedded)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NIJA_X=V", help="extra setting for nija"
    )
    args = parser.parse_args(argv)
    if min(args.users, args.orders, args.concurrency, args.processes) < 1:
        parser.error("--users, --orders, --concurrency and --processes must be at least 1")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    return args


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nija-bench-") as tmp:
        nija, last_fill = await bench_nija(args, Path(tmp) / "data")
    bare = await bench_bare(args, requests=sum(nija.statuses.values()) or args.orders)
    print(report(args, nija, last_fill, bare))


if __name__ == "__main__":
    asyncio.run(main())

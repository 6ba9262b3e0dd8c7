"""WebSocket memory benchmark: how much a live, authenticated socket costs the server.

Starts `nija run` (embedded PostgreSQL unless --database-url/NIJA_DATABASE_URL names a server)
with a known JWT secret, mints access tokens for `--sockets` distinct users (the handshake checks
the signature, expiry and revocation list, never a password, so no user needs registering), and
opens that many sockets, each authenticated with `{"type":"auth"}` and answered `auth.ok`. It
reads the server's resident memory (RSS) before and after, prints the cost per socket and the
projection to 10,000 sockets (target: 10,000 in <= 400 MiB in all), then pings a sample of the
sockets to show they are alive. Beside it, the same number of sockets on a bare Litestar
WebSocket endpoint (accept, echo) in another process, for comparison.

    .venv/bin/python bench/sockets.py --sockets 10000
    .venv/bin/python bench/sockets.py --sockets 2000 --env NIJA_WS_COMPRESSION=true
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.launcher import free_port, running_platform
from modules.kernel.auth import Principal, TokenCodec

BARE_APP = Path(__file__).resolve().parent / "bare_app.py"
MIB = 1024 * 1024
TARGET_SOCKETS, TARGET_MIB = 10_000, 400


def _rss(pid: int) -> int:
    return int(psutil.Process(pid).memory_info().rss)


async def _open(url: str, token: str | None, gate: asyncio.Semaphore) -> ClientConnection:
    async with gate:
        # Offers permessage-deflate, as browsers do: the server decides whether to use it.
        socket = await connect(url, open_timeout=30, max_queue=None)
        if token is not None:
            await socket.send(json.dumps({"type": "auth", "token": token}))
            reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if reply.get("type") != "auth.ok":
                raise RuntimeError(f"WebSocket auth failed: {reply}")
        return socket


async def _measure(
    pid: int, url: str, tokens: list[str | None], concurrency: int
) -> tuple[int, int, float, list[ClientConnection]]:
    await asyncio.sleep(1.0)  # let start-up allocations settle
    before = _rss(pid)
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    sockets = await asyncio.gather(*(_open(url, token, gate) for token in tokens))
    took = time.perf_counter() - started
    await asyncio.sleep(2.0)
    return before, _rss(pid), took, list(sockets)


async def _alive(sockets: list[ClientConnection], sample: int = 50) -> int:
    answered = 0
    for socket in sockets[:: max(1, len(sockets) // sample)]:
        await socket.send(json.dumps({"type": "ping"}))
        reply = await asyncio.wait_for(socket.recv(), 10)
        answered += bool(reply)
    return answered


async def bench_nija(args: argparse.Namespace, data_dir: Path) -> dict[str, float]:
    secret = secrets.token_urlsafe(48)
    codec = TokenCodec.from_config(secret, ttl_seconds=3600)
    tokens: list[str | None] = [
        codec.issue(Principal(user_id=str(uuid.uuid4()), role="trader"))
        for _ in range(args.sockets)
    ]
    env = {"NIJA_JWT_SECRET": secret, "NIJA_LOG_LEVEL": "WARNING"}
    env.update(dict(pair.split("=", 1) for pair in args.env))
    async with running_platform(
        data_dir, server_url=args.database_url, extra_env=env, db_prefix="nija_bench_ws"
    ) as platform:
        before, after, took, sockets = await _measure(
            platform.pid, platform.ws_url, tokens, args.concurrency
        )
        try:
            alive = await _alive(sockets)
        finally:
            await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {"before": before, "after": after, "took": took, "alive": alive}


async def bench_bare(args: argparse.Namespace) -> dict[str, float]:
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
        url = f"ws://127.0.0.1:{port}/ws"
        for _ in range(200):
            try:
                probe = await connect(url, open_timeout=1)
                await probe.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        before, after, took, sockets = await _measure(
            process.pid, url, [None] * args.sockets, args.concurrency
        )
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        return {"before": before, "after": after, "took": took, "alive": len(sockets)}
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


def report(args: argparse.Namespace, nija: dict[str, float], bare: dict[str, float]) -> str:
    def per_socket(figures: dict[str, float]) -> float:
        return (figures["after"] - figures["before"]) / args.sockets

    lines = [f"sockets={args.sockets}", f"{'':<28}{'NIJA':>14}{'bare Litestar':>16}"]
    rows = [
        ("RSS before (MiB)", nija["before"] / MIB, bare["before"] / MIB),
        ("RSS with sockets (MiB)", nija["after"] / MIB, bare["after"] / MIB),
        ("per socket (KiB)", per_socket(nija) / 1024, per_socket(bare) / 1024),
        ("opened in (s)", nija["took"], bare["took"]),
    ]
    lines += [f"{name:<28}{a:>14.1f}{b:>16.1f}" for name, a, b in rows]
    projected = (nija["before"] + per_socket(nija) * TARGET_SOCKETS) / MIB
    verdict = "met" if projected <= TARGET_MIB else "missed"
    lines.append(
        f"NIJA with {TARGET_SOCKETS:,} sockets: {projected:.0f} MiB RSS "
        f"(target <= {TARGET_MIB} MiB: {verdict}); pinged {nija['alive']:.0f} of a sample, answered"
    )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=2000, help="sockets to open on each side")
    parser.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("NIJA_DATABASE_URL") or None,
        help="PostgreSQL server to create a fresh bench database on (default: embedded)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="NIJA_X=V", help="extra setting for nija"
    )
    args = parser.parse_args(argv)
    if args.sockets < 1 or args.concurrency < 1:
        parser.error("--sockets and --concurrency must be at least 1")
    return args


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nija-bench-") as tmp:
        nija = await bench_nija(args, Path(tmp) / "data")
    bare = await bench_bare(args)
    print(report(args, nija, bare))


if __name__ == "__main__":
    asyncio.run(main())

"""Push benchmark: from a fill event to the push arriving at (a loopback fake of) Expo's push
service, through the dashboard's real code: its fill handler writes the notification and the
push outbox rows in one transaction, the delivery worker claims them, collapses, opens the
sealed token, sends, and records the ticket.

The platform runs in this process with the dashboard alone (embedded PostgreSQL under a
temporary data dir, or a fresh database on `--database-url` / `NIJA_DATABASE_URL`, dropped
afterwards), the bus in-process, Expo replaced by `tests/fakes/expo.py` on a loopback port.
`--users` traders each have a phone; for each one the benchmark publishes the order's
`OrderRouted` and its position, then its `OrderFilled` at `--rate` fills a second (open loop),
and times the fill's publish to the push's arrival at the fake service.

Three runs:
1. lone fills with the product's quiet time (`PUSH_QUIET_SECONDS`, 0.5 s): what a trader
   waits, the quiet time included (a fill waits that long for others of its burst);
2. the same with no quiet time: the pipeline's own cost (handler, outbox, worker, HTTP);
3. a burst: `--burst` fills for one trader as fast as the bus takes them: how many pushes
   (one), and the time from the last fill to it.

    .venv/bin/python bench/push.py [--users 200] [--rate 50] [--burst 100] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PICCOLO_CONF", "migrations.piccolo_conf")

from bench.launcher import fresh_database

VENUE, SYMBOL = "kraken", "BTC/USD"


def settings_for(data_dir: str, database_url: str | None, expo_url: str) -> Any:
    from modules.kernel.settings import load_settings

    values: dict[str, Any] = {
        "data_dir": data_dir,
        "log_level": "warning",
        "modules": ("dashboard",),
        "expo_push_url": expo_url,
    }
    if database_url:
        values["database_url"] = database_url
    return load_settings(environ={}, **values)


def _events(user_id: str, fills: int = 1) -> tuple[list[Any], list[Any]]:
    """(what comes before: the order and its position; the order's fills)."""
    from modules.execution.contracts import OrderFilled, PositionChanged
    from modules.routing.contracts import OrderRouted

    order_id = str(uuid.uuid4())
    routed = OrderRouted(
        order_id=order_id,
        user_id=user_id,
        client_order_id=f"nija-{uuid.uuid4().hex[:12]}",
        symbol=SYMBOL,
        side="buy",
        order_type="market",
        quantity=Decimal(fills) * Decimal("0.01"),
        venue=VENUE,
        credential_id=str(uuid.uuid4()),
        expected_price=Decimal("65000"),
        expected_fee=Decimal("1"),
    )
    position = PositionChanged(
        position_id=uuid.uuid4().hex,
        user_id=user_id,
        venue=VENUE,
        symbol=SYMBOL,
        quantity=Decimal("0.01"),
        average_entry=Decimal("65000"),
        realised_pnl=Decimal("-0.4"),
        fees=Decimal("0.4"),
        fill_id="f-0",
        status="open",
        realised_delta=Decimal("-0.4"),
        version=1,
    )
    filled = [
        OrderFilled(
            order_id=order_id,
            user_id=user_id,
            venue=VENUE,
            fill_id=f"f-{n}",
            symbol=SYMBOL,
            side="buy",
            price=Decimal("65000"),
            quantity=Decimal("0.01"),
            fee=Decimal("0.4"),
            fee_currency="USD",
            liquidity="taker",
            filled_quantity=Decimal(n + 1) * Decimal("0.01"),
            remaining_quantity=Decimal(fills - n - 1) * Decimal("0.01"),
            average_price=Decimal("65000"),
            status="filled" if n == fills - 1 else "partially_filled",
        )
        for n in range(fills)
    ]
    return [routed, position], filled


async def _phones(platform: Any, users: list[str]) -> dict[str, str]:
    """A registered phone per user; token -> user."""
    from modules.dashboard.schemas.push import DeviceRegistration

    devices = platform.modules["dashboard"].push_devices
    tokens = {}
    for user_id in users:
        token = f"ExponentPushToken[{uuid.uuid4().hex[:22]}]"
        body = DeviceRegistration(expo_push_token=token, platform="ios", device_id="phone")
        await devices.register(user_id, body)
        tokens[token] = user_id
    return tokens


async def lone_fills(platform: Any, expo: Any, users: int, rate: float) -> list[float]:
    """Open loop: fill i is published at i / rate s; ms from its publish to its push."""
    from modules.kernel.events import envelope_for

    bus = platform.runtime.pubsub
    ids = [str(uuid.uuid4()) for _ in range(users)]
    tokens = await _phones(platform, ids)
    before, fills = {}, {}
    for user_id in ids:
        before[user_id], [fills[user_id]] = _events(user_id)
    for events in before.values():
        for event in events:
            await bus.publish(envelope_for(event, "bench"))
    await bus.drain()
    seen = len(expo.messages)
    sent: dict[str, float] = {}
    start = time.perf_counter()

    async def fill(i: int, user_id: str) -> None:
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent[user_id] = time.perf_counter()
        await bus.publish(envelope_for(fills[user_id], "bench"))

    await asyncio.gather(*(fill(i, user_id) for i, user_id in enumerate(ids)))
    arrived = await expo.wait_for(seen + users, timeout=60)
    return sorted(
        (m.received_at - sent[tokens[m.to]]) * 1000 for m in arrived[seen:] if m.to in tokens
    )


async def burst(platform: Any, expo: Any, size: int) -> tuple[int, float, float]:
    """(pushes received, ms from the first fill and from the last fill to the push)."""
    from modules.kernel.events import envelope_for

    bus = platform.runtime.pubsub
    user_id = str(uuid.uuid4())
    [token] = await _phones(platform, [user_id])
    before, fills = _events(user_id, size)
    for event in before:
        await bus.publish(envelope_for(event, "bench"))
    await bus.drain()
    first = time.perf_counter()
    await asyncio.gather(*(bus.publish(envelope_for(f, "bench")) for f in fills))
    last = time.perf_counter()
    [push] = [m for m in await _wait_one(expo, token) if m.to == token]
    await asyncio.sleep(2.0)  # a second push would have come by now
    count = len(expo.to(token))
    assert push.body.endswith(f"(+{size - 1} more)"), push.body
    return count, (push.received_at - first) * 1000, (push.received_at - last) * 1000


async def _wait_one(expo: Any, token: str) -> list[Any]:
    deadline = time.monotonic() + 30
    while not expo.to(token):
        if time.monotonic() > deadline:
            raise SystemExit("the burst's push never came")
        await asyncio.sleep(0.01)
    return expo.to(token)


def _row(name: str, waits: list[float]) -> str:
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    return (
        f"{name:<34} {len(waits):>6}  {statistics.median(waits):>8.1f}  {p99:>8.1f}"
        f"  {waits[-1]:>8.1f}"
    )


async def main(args: argparse.Namespace) -> None:
    import modules.dashboard.config as config
    from app import Platform
    from tests.fakes.expo import FakeExpo

    server = args.database_url or os.environ.get("NIJA_DATABASE_URL")
    quiet = config.PUSH_QUIET_SECONDS
    with tempfile.TemporaryDirectory(prefix="nija-bench-") as data_dir:
        async with FakeExpo() as expo, fresh_database(server, "nija_bench") as database_url:
            platform = Platform(settings_for(data_dir, database_url, expo.base_url))
            await platform.start()
            try:
                with_quiet = await lone_fills(platform, expo, args.users, args.rate)
                config.PUSH_QUIET_SECONDS = 0.0
                no_quiet = await lone_fills(platform, expo, args.users, args.rate)
                config.PUSH_QUIET_SECONDS = quiet
                pushes, from_first, from_last = await burst(platform, expo, args.burst)
            finally:
                await platform.stop()
    print(
        f"fill event -> push at the (fake) Expo service, {args.users} traders, "
        f"{args.rate:g} fills/s, ms"
    )
    print(f"{'':<34} {'pushes':>6}  {'p50':>8}  {'p99':>8}  {'max':>8}")
    print(_row(f"lone fill, quiet time {quiet:g} s", with_quiet))
    print(_row("lone fill, no quiet time", no_quiet))
    print(
        f"\nburst: {args.burst} fills for one trader -> {pushes} push; "
        f"{from_first:.0f} ms after the first fill, {from_last:.0f} ms after the last"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="traders, one fill each")
    parser.add_argument("--rate", type=float, default=50.0, help="fills a second (open loop)")
    parser.add_argument("--burst", type=int, default=100, help="fills in the burst")
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))

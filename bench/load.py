"""The load both sides of the order bench get: orders sent closed or open loop, what they measured.

`bench/orders.py` sends it to NIJA and to bare Litestar; `percentile` serves the other benches.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.cost import CostSnapshot


@dataclass
class Run:
    """What one load phase measured."""

    started: float = 0.0
    finished: float = 0.0
    sent_at: dict[str, float] = field(default_factory=dict)
    accept_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    filled_at: dict[str, float] = field(default_factory=dict)
    # The venue each filled order went to, as its first `order.filled` push named it.
    filled_on: dict[str, str] = field(default_factory=dict)
    # What the traders' sockets received, by message type: messages and bytes.
    pushed: Counter[str] = field(default_factory=Counter)
    pushed_bytes: int = 0
    # Orders a socket was told were rejected after their 202, by the reason shown.
    rejected: dict[str, str] = field(default_factory=dict)
    history: str | None = None
    cost_before: CostSnapshot | None = None
    cost_after: CostSnapshot | None = None

    @property
    def accepted(self) -> int:
        return len(self.accept_ms)

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def load(
    base_urls: list[str],
    headers: list[dict[str, str]],
    body: dict[str, Any],
    *,
    total: int,
    concurrency: int,
    duration: float,
    rate: float | None = None,
    run: Run | None = None,
) -> Run:
    """`total` requests round-robin over `headers`, bounded in time.

    Closed loop by default: `concurrency` workers each send their next request as soon as the
    last one is answered, which finds the capacity. With `rate`, open loop: request i is due at
    i / rate seconds whatever the answers do, and its latency counts from when it was due, so a
    server falling behind shows up as latency instead of quietly slowing the client down.

    aiohttp rather than httpx: the client shares the machine with the server, and a client that
    costs less CPU per request distorts the server's figures less.
    """
    run = run or Run()
    payload = json.dumps(body).encode()
    # Open loop may need many requests in flight at once when the server falls behind.
    connector = aiohttp.TCPConnector(limit=concurrency if rate is None else 1024)
    timeout = aiohttp.ClientTimeout(total=30)

    async def post(session: aiohttp.ClientSession, index: int, due: float) -> None:
        request_headers = {**headers[index % len(headers)], "Content-Type": "application/json"}
        try:
            async with session.post(
                f"{base_urls[index % len(base_urls)]}/v1/orders",
                data=payload,
                headers=request_headers,
            ) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            run.errors.append(type(exc).__name__)
            return
        elapsed_ms = (time.perf_counter() - due) * 1000
        run.statuses[response.status] = run.statuses.get(response.status, 0) + 1
        if response.status == 202:
            run.accept_ms.append(elapsed_ms)
            run.sent_at[json.loads(text)["id"]] = due
        elif len(run.errors) < 5:
            run.errors.append(f"{response.status}: {text[:200]}")

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        run.started = time.perf_counter()
        deadline = run.started + duration
        if rate is None:
            issued = 0

            async def worker() -> None:
                nonlocal issued
                while issued < total and time.perf_counter() < deadline:
                    issued += 1
                    await post(session, issued - 1, time.perf_counter())

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            in_flight = []
            for index in range(total):
                due = run.started + index / rate
                if due > deadline:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                in_flight.append(asyncio.create_task(post(session, index, due)))
            await asyncio.gather(*in_flight)
        run.finished = time.perf_counter()
    return run

"""A domain refusal reaches the client as the same problem a `ProblemError` gives; a worker's
failed round is logged and counted and does not stop the loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.params import FromPath

from modules.kernel.errors import EXCEPTION_HANDLERS, ProblemError
from modules.kernel.metrics import Metrics
from modules.kernel.refusal import Kind, Refused
from modules.kernel.worker import Worker


def _app() -> Litestar:
    @get("/refused/{kind:str}", sync_to_thread=False)
    def refused(kind: FromPath[str]) -> None:
        retry = 7 if kind == "TOO_MANY" else None
        raise Refused(Kind[kind], "some_rule", "The rule said no", retry_after=retry)

    @get("/problem/{status:int}", sync_to_thread=False)
    def problem(status: FromPath[int]) -> None:
        headers = {"Retry-After": "7"} if status == 429 else None
        raise ProblemError(status, "some_rule", "The rule said no", headers=headers)

    return Litestar([refused, problem], exception_handlers=EXCEPTION_HANDLERS)


@pytest.mark.parametrize("kind", list(Kind))
async def test_a_refusal_answers_the_problem_its_kind_names(kind: Kind) -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        refused = await client.get(f"/refused/{kind.name}")
        legacy = await client.get(f"/problem/{kind.value}")
    assert refused.status_code == kind.value
    assert refused.headers["content-type"].startswith("application/problem+json")
    strip = {"instance", "request_id"}
    body: dict[str, Any] = {k: v for k, v in refused.json().items() if k not in strip}
    assert body == {k: v for k, v in legacy.json().items() if k not in strip}
    assert body["code"] == "some_rule" and body["detail"] == "The rule said no"
    assert refused.headers.get("retry-after") == legacy.headers.get("retry-after")


async def test_a_failing_round_is_logged_counted_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    rounds: list[int] = []

    async def flaky() -> None:
        rounds.append(len(rounds))
        if len(rounds) % 2:
            raise RuntimeError("venue down")

    worker = Worker("books", flaky, period=0.001, metrics=metrics)
    with caplog.at_level(logging.ERROR, logger="nija.worker"):
        worker.start()
        while len(rounds) < 6:
            await asyncio.sleep(0.001)
        await worker.stop()
    assert worker.failures >= 3
    counted = metrics.registry.get_sample_value("nija_worker_failures_total", {"worker": "books"})
    assert counted == worker.failures
    assert any("worker books" in r.getMessage() for r in caplog.records)


async def test_wake_runs_the_next_round_before_the_period_ends() -> None:
    ran = asyncio.Event()
    count = 0

    async def step() -> None:
        nonlocal count
        count += 1
        if count == 2:
            ran.set()

    worker = Worker("slow", step, period=3600, metrics=Metrics())
    worker.start()
    await asyncio.sleep(0.01)
    worker.wake()
    await asyncio.wait_for(ran.wait(), 1)
    await worker.stop()


async def test_a_worker_told_to_wait_first_runs_its_first_round_a_period_after_start() -> None:
    rounds = 0

    async def step() -> None:
        nonlocal rounds
        rounds += 1

    worker = Worker("evening", step, period=0.2, metrics=Metrics(), wait_first=True)
    worker.start()
    await asyncio.sleep(0.1)
    assert rounds == 0  # a plain worker would have run one already
    await asyncio.sleep(0.2)
    assert rounds == 1
    await worker.stop()

"""Backtests: a request is stored and asks execution for history; each answer is kept and the
next request (for the bars before it) goes out with it; once the history is complete a worker
runs the engine (domain/backtest.py) off the event loop and stores the report.

History comes from execution because execution owns the venues and their market model, and a
module reads another only through its events: `MarketHistoryRequested` out, execution's
`MarketHistoryServed` in (bars and the book's shape, which the engine fills orders from). An
answer is small (at most a thousand bars), so a long backtest is a chain of requests, each sent
in the transaction that stored the answer before it. `nija backtest` runs the same chain
without the bus (`run_now`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import msgspec

from modules.execution.contracts import HistoryBar, MarketHistoryServed
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused
from modules.strategy.config import StrategyConfig
from modules.strategy.contracts import MarketHistoryRequested
from modules.strategy.domain import backtest_spec
from modules.strategy.domain.backtest import run
from modules.strategy.domain.backtest_report import Report
from modules.strategy.domain.backtest_spec import Spec
from modules.strategy.domain.bars import Bar
from modules.strategy.domain.fills import FillModel
from modules.strategy.repository.backtests import BacktestRepository
from modules.strategy.schemas import BacktestRequest

log = logging.getLogger("nija.strategy.backtests")
Serve = Callable[[MarketHistoryRequested], Awaitable[MarketHistoryServed]]
_IDS = uuid.UUID("3f6f1c2a-8d4b-4c55-9a1e-0b7d2e6c4f88")


def history_request(
    backtest_id: str, number: int, spec: Spec, bars: int, end: datetime | None
) -> MarketHistoryRequested:
    """The `number`th request of a backtest, for the `bars` bars before `end`; its ids are
    derived from both, so the same request sent twice is one."""
    request_id = f"{backtest_id}:{number}"
    return MarketHistoryRequested(
        event_id=str(uuid.uuid5(_IDS, request_id)),
        request_id=request_id,
        venue=spec.venue,
        symbol=spec.symbol,
        timeframe=spec.timeframe,  # type: ignore[arg-type]
        bars=bars,
        end=end,
    )


def spec_of(request: BacktestRequest, config: StrategyConfig) -> Spec:
    """The request with a new bot's settings wherever it leaves one out."""
    bot = config.default_settings()
    given = {k: v for k, v in msgspec.structs.asdict(request).items() if v is not msgspec.UNSET}
    values = {k: bot[k] for k in ("equity_usd", "risk_level", "max_position_usd")} | given
    values["symbol"] = request.symbol.upper()
    return msgspec.convert({**values, "window_bars": config.window_bars}, Spec)


def evaluate(spec: Spec, parts: list[list[Bar]], model: FillModel) -> Report:
    """The engine over the assembled history (CPU-bound: callers run it off the loop)."""
    bars = backtest_spec.assemble(parts)
    return run(bars, model, backtest_spec.params_for(spec, bars))


async def run_now(spec: Spec, serve: Serve) -> Report:
    """A backtest asked of `serve` directly, request after request, as the bus would."""
    backtest_spec.check(spec)
    wanted = backtest_spec.bars_wanted(spec)
    parts: list[list[Bar]] = []
    got, end, model = 0, spec.end, None
    while got < wanted:
        served = await serve(history_request("now", len(parts), spec, wanted - got, end))
        if served.error_code is not None or served.book is None:
            raise Refused(
                Kind.CONFLICT, served.error_code or "history_unavailable", served.error or ""
            )
        model = _fill_model(served.book)
        if not served.bars:
            break
        parts.append(_bars(served.bars))
        got, end = got + len(served.bars), served.start
    if model is None:
        raise Refused(Kind.CONFLICT, "history_unavailable", "the venue served no history")
    return await asyncio.to_thread(evaluate, spec, parts, model)


def _bars(part: list[HistoryBar]) -> list[Bar]:
    return [
        Bar(start=b.start, open=b.open, high=b.high, low=b.low, close=b.close, volume=b.volume)
        for b in part
    ]


def _fill_model(book: Any) -> FillModel:
    return msgspec.convert(msgspec.to_builtins(book), FillModel)


def _backtest_of(request_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request_id.partition(":")[0])
    except ValueError:
        return None  # not one of ours (the CLI's, say)


class Backtests:
    def __init__(
        self, runtime: Runtime, config: StrategyConfig, backtests: BacktestRepository
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._repo = backtests
        # The worker that runs ready backtests; wired by the plugin once it is built.
        self.wake: Callable[[], None] = lambda: None

    async def submit(self, user_id: str, request: BacktestRequest) -> str:
        spec = spec_of(request, self._config)
        backtest_spec.check(spec)
        wanted = backtest_spec.bars_wanted(spec)
        backtest_id = uuid.uuid4()
        async with self._runtime.unit_of_work("strategy") as uow:
            active = await self._repo.active_count(uow.conn, user_id)
            if active >= self._config.backtests_per_user:
                raise Refused(
                    Kind.TOO_MANY,
                    "too_many_backtests",
                    f"{active} of your backtests are still under way; wait for one to finish",
                    retry_after=10,
                )
            await self._repo.insert(uow.conn, backtest_id, user_id, spec, wanted, self._now())
            uow.publish(history_request(str(backtest_id), 0, spec, wanted, spec.end))
        return str(backtest_id)

    async def history_served(self, event: MarketHistoryServed, uow: UnitOfWork) -> None:
        backtest_id = _backtest_of(event.request_id)
        job = None if backtest_id is None else await self._repo.waiting(uow.conn, backtest_id)
        if backtest_id is None or job is None:
            return
        if event.error_code is not None or event.book is None:
            code, reason = event.error_code or "history_unavailable", event.error or ""
            await self._repo.finish(
                uow.conn, backtest_id, self._now(), error_code=code, error=reason
            )
            return
        bars = msgspec.json.encode(event.bars)
        if not await self._repo.add_part(
            uow.conn, backtest_id, event.request_id, event.start, bars
        ):
            return
        got = job["bars_got"] + len(event.bars)
        ready = not event.bars or got >= job["bars_wanted"]
        book = msgspec.json.encode(event.book)
        await self._repo.progress(uow.conn, backtest_id, bars_got=got, book=book, ready=ready)
        if ready:
            uow.after_commit(self.wake)
            return
        spec = msgspec.json.decode(job["params"], type=Spec)
        left = job["bars_wanted"] - got
        uow.publish(history_request(str(backtest_id), job["requests"], spec, left, event.start))

    async def run_ready(self) -> int:
        """One round of the worker: claim as many ready backtests as it runs at once, run them,
        and again until none is ready."""
        done = 0
        while True:
            async with self._runtime.db.connection() as conn:
                jobs = await self._repo.claim(conn, self._config.backtest_workers, self._now())
            if not jobs:
                return done
            await asyncio.gather(*(self._run(job) for job in jobs))
            done += len(jobs)

    async def _run(self, job: Any) -> None:
        backtest_id = job["id"]
        try:
            spec = msgspec.json.decode(job["params"], type=Spec)
            model = msgspec.json.decode(job["book"], type=FillModel)
            async with self._runtime.db.connection() as conn:
                stored = await self._repo.parts(conn, backtest_id)
            parts = [_bars(msgspec.json.decode(p, type=list[HistoryBar])) for p in stored]
            report = await asyncio.to_thread(evaluate, spec, parts, model)
        except Refused as refused:
            await self._finish(backtest_id, error_code=refused.code, error=refused.reason)
        except Exception:
            log.exception("backtest failed", extra={"backtest_id": str(backtest_id)})
            await self._finish(backtest_id, error_code="backtest_failed", error="internal error")
        else:
            await self._finish(backtest_id, report=msgspec.json.encode(report))

    async def _finish(self, backtest_id: uuid.UUID, **outcome: Any) -> None:
        async with self._runtime.db.connection() as conn, conn.transaction():
            await self._repo.finish(conn, backtest_id, self._now(), **outcome)

    def _now(self) -> datetime:
        return self._runtime.clock()

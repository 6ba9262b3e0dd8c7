"""Closed bars in, bots' intents out.

A bar is evaluated once per (venue, symbol, timeframe), whatever the number of bots trading it:
the window of the key's latest bars lives in memory (reloaded from the bars table when this
replica missed a bar, and on its first bar after start), APEX runs on it once, and each bot then
does O(1) work with that verdict: one query finds the running bots, one their live positions
(a pair nobody trades or holds costs those two queries, and no APEX),
and every bot's step is decided in memory and written with the others' in a few multi-row
statements (service/trades.py). One bot cannot take the others down: a bot whose step fails to
be decided is logged and counted and left out, and if the bar's writes fail as a whole they are
written again bot by bot, each in a savepoint of its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from modules.execution.contracts import BarClosed
from modules.kernel.events import IntegrationEvent
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.strategy.config import StrategyConfig
from modules.strategy.domain import apex
from modules.strategy.domain.bar_step import BotState, PositionState, Step, may_act, step
from modules.strategy.domain.bars import Bar, BarKey, BarWindow
from modules.strategy.repository.bars import BarRepository
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.positions import PositionRepository, guard_of
from modules.strategy.service.trades import Trades

log = logging.getLogger("nija.strategy.evaluation")


class Evaluator:
    def __init__(
        self,
        runtime: Runtime,
        config: StrategyConfig,
        bars: BarRepository,
        bots: BotRepository,
        positions: PositionRepository,
        trades: Trades,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._bars = bars
        self._bots = bots
        self._positions = positions
        self._trades = trades
        self._windows: dict[BarKey, BarWindow] = {}
        self._locks: dict[BarKey, asyncio.Lock] = {}
        self._failures = runtime.metrics.counter(
            "nija_strategy_bot_failures_total", "Bots whose work on a bar failed", ["venue"]
        )
        self._evaluations = runtime.metrics.counter(
            "nija_strategy_evaluations_total", "Bars evaluated by APEX", ["timeframe"]
        )

    async def bar_closed(self, event: BarClosed, uow: UnitOfWork) -> None:
        key = BarKey(event.venue, event.symbol.upper(), event.timeframe)
        bar = Bar(
            start=event.start,
            open=event.open,
            high=event.high,
            low=event.low,
            close=event.close,
            volume=event.volume,
        )
        # One bar of a key at a time: the window is shared by every delivery of that key.
        async with self._locks.setdefault(key, asyncio.Lock()):
            await self._bars.insert(uow.conn, key, bar, keep=self._config.window_bars * 2)
            window = await self._window(uow, key, bar)
            if window.bars[-1].start != bar.start:
                return  # a late bar, older than the window's last: history, not a signal
            await self._each_bot(uow, key, bar, window)

    async def _window(self, uow: UnitOfWork, key: BarKey, bar: Bar) -> BarWindow:
        window = self._windows.get(key)
        if window is not None and window.follows(bar):
            window.add(bar)
            return window
        size = self._config.window_bars
        bars = await self._bars.latest(uow.conn, key, size)
        window = self._windows[key] = BarWindow(key.timeframe, size, bars)
        return window

    async def _each_bot(self, uow: UnitOfWork, key: BarKey, bar: Bar, window: BarWindow) -> None:
        conn = uow.conn
        running = await self._bots.running_for(conn, key.venue, key.symbol, key.timeframe)
        live = await self._positions.live_for_pair(conn, key.venue, key.symbol, key.timeframe)
        bots = {b.user_id: b for b in map(_bot, running)}
        positions = {p.user_id: p for p in map(_position, live)}
        if not bots and not any(p.status == "open" for p in positions.values()):
            return  # nobody trades or holds the pair: the bar is kept, APEX is not run
        evaluation = apex.evaluate(window.bars)
        self._evaluations.labels(key.timeframe).inc()
        steps: list[Step] = []
        for user_id in sorted(bots.keys() | positions.keys()):
            bot, position = bots.get(user_id), positions.get(user_id)
            if not may_act(evaluation, bot, position):
                continue  # a quiet bar stays O(1) per bot
            try:
                decided = step(evaluation, key, bar, bot, position)
            except Exception:
                self._failed(user_id, key)
                continue
            if decided is not None:
                steps.append(decided)
        if not steps:
            return
        now = self._runtime.clock()
        try:
            async with conn.transaction():
                events = await self._trades.apply(conn, key, bar, evaluation, steps, now)
        except Exception:
            log.warning("a bar's writes failed; writing them bot by bot", exc_info=True)
            events = await self._one_by_one(conn, key, bar, evaluation, steps, now)
        for event in events:
            uow.publish(event)

    async def _one_by_one(
        self,
        conn: Any,
        key: BarKey,
        bar: Bar,
        evaluation: apex.Evaluation,
        steps: list[Step],
        now: Any,
    ) -> list[IntegrationEvent]:
        events: list[IntegrationEvent] = []
        for one in steps:
            try:
                async with conn.transaction():
                    events += await self._trades.apply(conn, key, bar, evaluation, [one], now)
            except Exception:
                self._failed(one.user_id, key)
        return events

    def _failed(self, user_id: str, key: BarKey) -> None:
        self._failures.labels(key.venue).inc()
        log.exception("bot failed on a bar", extra=_where(user_id, key))


def _bot(row: dict[str, Any]) -> BotState:
    return BotState(
        user_id=row["user_id"],
        equity=row["sizing_equity"],
        risk_level=row["risk_level"],
        max_position_usd=row["max_position_usd"],
    )


def _position(row: dict[str, Any]) -> PositionState:
    return PositionState(
        id=row["id"],
        user_id=row["user_id"],
        venue=row["venue"],
        status=row["status"],
        guard=guard_of(row) if row["status"] == "open" else None,
        exit_in_flight=row["exit_in_flight"] is not None,
        exit_attempts=row["exit_attempts"],
        held=row["held"],
    )


def _where(user_id: str, key: BarKey) -> dict[str, Any]:
    return {"user_id": user_id, "venue": key.venue, "symbol": key.symbol}

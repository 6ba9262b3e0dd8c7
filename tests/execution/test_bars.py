"""The bars worker: closed bars of every simulated market reach the bus, each once.

With `NIJA_SIM_SPEED=60` a one-minute bar closes every second, so the test sees several while
it waits; bars are computed from the seeded model, so the published ones equal the venue's
history for the same range.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from modules.execution.contracts import BarClosed
from modules.execution.domain.bars import Bar, bar_event_id, compose
from modules.execution.domain.sim_market import SIM_EPOCH
from modules.execution.ports import ProvidesHistory
from modules.execution.service.market_data import BarPublisher
from tests.conftest import RunningApp
from tests.execution.test_queue import fresh_app, wait_for
from tests.routing.support import Tap

EPOCH = int(SIM_EPOCH)


def _seen(tap: Tap, venue: str, symbol: str, timeframe: str) -> list[BarClosed]:
    bars = tap.of(BarClosed, venue=venue, symbol=symbol, timeframe=timeframe)
    return sorted(bars, key=lambda bar: bar.start)


def _bar(event: BarClosed) -> Bar:
    return Bar(
        symbol=event.symbol,
        timeframe=event.timeframe,
        start=event.start,
        open=event.open,
        high=event.high,
        low=event.low,
        close=event.close,
        volume=event.volume,
    )


def _assert_each_bar_once(tap: Tap) -> None:
    events = tap.of(BarClosed)
    keys = Counter((e.venue, e.symbol, e.timeframe, e.start) for e in events)
    assert keys and max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    for event in events:
        assert event.event_id == bar_event_id(
            event.venue, event.symbol, event.timeframe, event.start
        )
        assert event.low <= min(event.open, event.close) <= max(event.open, event.close)
        assert max(event.open, event.close) <= event.high


async def test_a_fast_market_publishes_each_closed_minute_bar_once_as_it_closes(
    make_settings: Any, database_url: str
) -> None:
    async with fresh_app(make_settings, database_url, sim_speed=60.0) as running:
        tap = Tap().attach(running, BarClosed.TOPIC)

        def five_minutes_seen_whole() -> BarClosed | None:
            minutes = _seen(tap, "kraken", "BTC/USD", "1m")
            fives = _seen(tap, "kraken", "BTC/USD", "5m")
            return next((b for b in fives if minutes and b.start >= minutes[0].start), None)

        async def whole_five_minutes_closed() -> bool:
            return five_minutes_seen_whole() is not None

        # Within ten seconds at this speed a five-minute bar closes whose minutes were all seen.
        await wait_for(whole_five_minutes_closed, timeout=30)
        await running.settle()
        _assert_each_bar_once(tap)

        minutes = _seen(tap, "kraken", "BTC/USD", "1m")
        starts = [int(bar.start.timestamp()) for bar in minutes]
        assert starts == list(range(starts[0], starts[0] + 60 * len(starts), 60))
        five = five_minutes_seen_whole()
        assert five is not None
        opened = int(five.start.timestamp())
        assert {opened + 60 * m for m in range(5)} <= set(starts)
        # The five-minute bar is exactly its five published minutes.
        parts = [_bar(b) for b in minutes if opened <= b.start.timestamp() < opened + 300]
        assert _bar(five) == compose(parts, "5m", five.start)
        assert opened >= EPOCH - 300  # the market started at the epoch, not at the wall clock

        # And the venue's history for that stretch is what was published.
        venue = running.app.state.platform.modules["execution"].venues["kraken"]
        assert isinstance(venue, ProvidesHistory)
        history = await venue.history(
            "BTC/USD", "1m", minutes[0].start, minutes[-1].start + timedelta(minutes=1)
        )
        assert history == [_bar(b) for b in minutes]
        # Every venue and listed symbol has bars.
        for name, sim in running.app.state.platform.modules["execution"].venues.items():
            for symbol in sim.symbols:
                assert _seen(tap, name, symbol, "1m"), (name, symbol)


async def test_a_second_replica_or_a_restarted_process_publishes_no_bar_twice(
    running: RunningApp,
) -> None:
    execution = running.app.state.platform.modules["execution"]
    tap = Tap().attach(running, BarClosed.TOPIC)

    async def every_hour_bar_written() -> bool:
        async with running.runtime.db.connection() as conn:
            written = await conn.fetchval(
                "SELECT count(*) FROM execution.outbox WHERE topic = $1", BarClosed.TOPIC
            )
        return bool(written >= sum(len(v.symbols) for v in execution.venues.values()) * 4)

    # The app's own worker publishes the bars that just closed as it starts.
    await wait_for(every_hour_bar_written, timeout=30)
    replica = BarPublisher(
        running.runtime, execution.venues, timeframes=("1m", "5m", "15m", "1h"), catch_up=10
    )
    # The same bars, computed again (twice at once) by a process that remembers nothing.
    await asyncio.gather(replica.publish_closed(), replica.publish_closed())
    await running.settle()
    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT event_id, count(*) AS n FROM execution.outbox WHERE topic = $1 "
            "GROUP BY event_id",
            BarClosed.TOPIC,
        )
    assert rows and all(row["n"] == 1 for row in rows)
    # The tap may have joined after the worker's first bars went out (it once saw none), so it
    # checks only that no bar it saw crossed the bus twice; the outbox above holds each once.
    seen = Counter((e.venue, e.symbol, e.timeframe, e.start) for e in tap.of(BarClosed))
    assert max(seen.values(), default=1) == 1, [k for k, n in seen.items() if n > 1]

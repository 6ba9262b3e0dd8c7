"""Market data: every closed bar of every venue that provides history, published once.

Each round asks each venue only for the bars that closed since the last round (most rounds at
real-time speed ask for nothing), and writes them to execution's outbox with an event id
derived from the bar, skipping any a previous process or another replica already wrote, so
consumers see each bar once and may still dedupe on the id. A process remembers the last bar
it published per (venue, symbol, timeframe); a fresh one starts with the bar that just closed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from modules.execution.contracts import BarClosed
from modules.execution.domain.bars import Bar, Timeframe, bar_event_id, due_starts, seconds, utc
from modules.execution.domain.venue import VenueFault, VenueRejected, VenueUnavailable
from modules.execution.ports import ProvidesHistory, Venue
from modules.execution.repository.bars import BarRepository
from modules.kernel.module import Runtime

log = logging.getLogger("nija.execution")
Key = tuple[str, str, Timeframe]


def bar_closed(venue: str, bar: Bar) -> BarClosed:
    return BarClosed(
        event_id=bar_event_id(venue, bar.symbol, bar.timeframe, bar.start),
        venue=venue,
        symbol=bar.symbol,
        timeframe=bar.timeframe,
        start=bar.start,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
    )


class BarPublisher:
    def __init__(
        self,
        runtime: Runtime,
        venues: Mapping[str, Venue],
        *,
        timeframes: Sequence[Timeframe],
        catch_up: int,
    ) -> None:
        self._runtime = runtime
        self._venues = venues
        self._timeframes = tuple(timeframes)
        self._catch_up = catch_up
        self._bars = BarRepository()
        self._last: dict[Key, int] = {}

    async def publish_closed(self) -> int:
        """Publish the bars closed since the last round; how many were new to the outbox."""
        events: list[BarClosed] = []
        reached: dict[Key, int] = {}
        for venue in self._venues.values():
            if isinstance(venue, ProvidesHistory):
                try:
                    await self._collect(venue, venue, events, reached)
                except (VenueFault, VenueUnavailable, VenueRejected) as error:
                    # One venue down must not hold back the others' bars; it catches up later.
                    log.warning("bars not fetched", extra={"venue": venue.name, "error": error})
        written = await self._write(events) if events else 0
        self._last.update(reached)  # only once written: a failed write is retried next round
        return written

    async def _collect(
        self,
        venue: Venue,
        history: ProvidesHistory,
        events: list[BarClosed],
        reached: dict[Key, int],
    ) -> None:
        now = history.market_now().timestamp()
        for symbol in sorted(venue.symbols):
            for timeframe in self._timeframes:
                key = (venue.name, symbol, timeframe)
                starts = due_starts(self._last.get(key), now, timeframe, self._catch_up)
                if not starts:
                    continue
                end = utc(starts[-1] + seconds(timeframe))
                bars = await history.history(symbol, timeframe, utc(starts[0]), end)
                events.extend(bar_closed(venue.name, bar) for bar in bars)
                if bars:
                    reached[key] = int(bars[-1].start.timestamp())

    async def _write(self, events: list[BarClosed]) -> int:
        async with self._runtime.unit_of_work("execution") as uow:
            await self._bars.lock(uow.conn)
            known = await self._bars.published(uow.conn, [e.event_id for e in events])
            fresh = [event for event in events if event.event_id not in known]
            for event in fresh:
                uow.publish(event)
        return len(fresh)

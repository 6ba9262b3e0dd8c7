"""History for backtests: strategy asks (`MarketHistoryRequested`), execution answers with the
venue's closed bars and its book shape (`MarketHistoryServed`), through the outbox.

Execution owns the venues and their market model, so it alone computes history; the strategy
module, which may only read execution's contracts, rebuilds the book from the shape to fill its
simulated orders. A request gets at most a thousand bars over two days of market
(domain/history.py: about two seconds of a simulated venue's CPU, off the event loop), so a
delivery never runs long; a backtest asks again for what lies before the answer's start.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from modules.execution.contracts import BookShape, HistoryBar, MarketHistoryServed
from modules.execution.domain.bars import utc
from modules.execution.domain.history import Shape, shape_of, span
from modules.execution.domain.ids import EVENT_NAMESPACE
from modules.execution.domain.venue import VenueRejected
from modules.execution.ports import DescribesBook, ProvidesHistory, Venue
from modules.kernel.outbox import UnitOfWork
from modules.strategy.contracts import MarketHistoryRequested

# Of a real venue, whose book has no fixed shape: the finest tick any market quotes.
_ANY_TICK = Decimal("0.00000001")


class MarketHistory:
    def __init__(self, venues: Mapping[str, Venue]) -> None:
        self._venues = venues

    async def serve(self, event: MarketHistoryRequested, uow: UnitOfWork) -> None:
        uow.publish(await self.answer(event))

    async def answer(self, request: MarketHistoryRequested) -> MarketHistoryServed:
        """The answer to `request` (also what `nija backtest` asks for, without the bus)."""
        venue = self._venues.get(request.venue)
        if venue is None:
            return _refusal(request, "unknown_venue", f"no venue named {request.venue}")
        if not isinstance(venue, ProvidesHistory):
            return _refusal(request, "history_unavailable", f"{venue.name} serves no history")
        now = venue.market_now().timestamp()
        end = None if request.end is None else request.end.timestamp()
        start_at, end_at = span(end, now, request.timeframe, request.bars)
        try:
            bars = await venue.history(
                request.symbol, request.timeframe, utc(start_at), utc(end_at)
            )
            shape = await _shape(venue, request.symbol)
        except VenueRejected as refused:
            return _refusal(request, refused.code, refused.reason)
        if shape is None:
            return _refusal(request, "history_unavailable", "the venue's book is empty")
        return MarketHistoryServed(
            event_id=_event_id(request),
            request_id=request.request_id,
            venue=request.venue,
            symbol=request.symbol,
            timeframe=request.timeframe,
            start=utc(start_at),
            end=utc(end_at),
            bars=[HistoryBar(b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars],
            book=BookShape(
                taker_fee=venue.fees.taker,
                price_tick=shape.price_tick,
                min_quantity=shape.min_quantity,
                bids=list(shape.bids),
                asks=list(shape.asks),
            ),
        )


async def _shape(venue: Venue, symbol: str) -> Shape | None:
    if isinstance(venue, DescribesBook):
        return venue.book_shape(symbol)
    # A real venue's book now stands in for its book then: the best there is.
    return shape_of(await venue.book(symbol), _ANY_TICK, Decimal(0))


def _event_id(request: MarketHistoryRequested) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"history:{request.request_id}"))


def _refusal(request: MarketHistoryRequested, code: str, reason: str) -> MarketHistoryServed:
    at = request.end or utc(0)
    return MarketHistoryServed(
        event_id=_event_id(request),
        request_id=request.request_id,
        venue=request.venue,
        symbol=request.symbol,
        timeframe=request.timeframe,
        start=at,
        end=at,
        bars=[],
        error_code=code,
        error=reason,
    )

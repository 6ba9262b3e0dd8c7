"""Driving a paper bot over HTTP and the bus: crafted closed bars in, its view and events out.

Bars are crafted (tests/strategy/series.py) around where the simulated venue trades the pair,
so the bot's orders fill at the venue's real prices near the bars' closes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from modules.execution.contracts import BarClosed
from modules.strategy.domain.bars import Bar
from tests.conftest import RunningApp
from tests.execution.support import sim
from tests.routing.support import Trader, announce, connect, new_trader, roomy
from tests.strategy.series import T0, entry_series

VENUE, SYMBOL = "binance", "SOL/USD"


async def wait_for(
    running: RunningApp, predicate: Callable[[], Awaitable[bool]], rounds: int = 20
) -> None:
    """Deliver every event (and let execution go idle) until `predicate` holds.

    Asked after each settle, not on a timer: a trader's plan allows 60 requests a minute.
    """
    for _ in range(rounds):
        await running.settle()
        if await predicate():
            return
    raise AssertionError("condition not reached after every event was delivered")


def bar_event(b: Bar, venue: str = VENUE, symbol: str = SYMBOL, **fields: Any) -> BarClosed:
    return BarClosed(
        venue=venue,
        symbol=symbol,
        timeframe="5m",
        start=b.start,
        open=b.open,
        high=b.high,
        low=b.low,
        close=b.close,
        volume=b.volume,
        **fields,
    )


async def close_bar(running: RunningApp, b: Bar, venue: str = VENUE, symbol: str = SYMBOL) -> None:
    await announce(running, bar_event(b, venue, symbol))


def price_bar(index: int, low: Decimal, high: Decimal, close: Decimal, volume: int = 100) -> Bar:
    """The `index`-th five-minute bar of the series, at these very prices."""
    return Bar(
        start=T0 + timedelta(minutes=5 * index),
        open=close,
        high=high,
        low=low,
        close=close,
        volume=Decimal(volume),
    )


async def bot(running: RunningApp, trader: Trader) -> dict[str, Any]:
    response = await running.client.get("/v1/bot", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def signals(running: RunningApp, trader: Trader) -> list[dict[str, Any]]:
    response = await running.client.get("/v1/signals", headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()["signals"]  # type: ignore[no-any-return]


async def running_bot(
    running: RunningApp, venues: tuple[str, ...] = (VENUE,), **settings: Any
) -> Trader:
    trader = new_trader(running)
    await connect(running, trader, venues)
    await roomy(running, trader)
    body = {"venue": VENUE, "pairs": [SYMBOL], "timeframe": "5m", "max_position_usd": "900"}
    response = await running.client.put(
        "/v1/bot", json={**body, **settings}, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    response = await running.client.post("/v1/bot/start", headers=trader.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "running"
    return trader


async def scale(running: RunningApp) -> float:
    """What puts the series' entry close at the venue's mid now, so the bot's orders fill
    near the bars' prices (the simulated market drifts some percent a day)."""
    book = await sim(running, VENUE).book(SYMBOL)
    mid = (book.bids[0].price + book.asks[0].price) / 2
    return float(mid) / base_close()


def base_close() -> float:
    return float(entry_series()[-1].close)


async def warm_up(running: RunningApp) -> list[Bar]:
    """The pair's window warmed up on the series but its entry bar, which is returned last."""
    return await warm_up_at(running, None)


async def warm_up_at(running: RunningApp, close: Decimal | None) -> list[Bar]:
    """`warm_up` with the entry bar closing at `close` (None: at the venue's mid now)."""
    factor = await scale(running) if close is None else float(close) / base_close()
    series = entry_series(scale=factor)
    for b in series[:-1]:
        await close_bar(running, b)
    return series


async def open_position(running: RunningApp, trader: Trader) -> dict[str, Any]:
    """Wait until the bot's position is open (its entry filled); the position as GET shows."""

    async def opened() -> bool:
        positions = (await bot(running, trader))["open_positions"]
        return bool(positions) and positions[0]["status"] == "open"

    await wait_for(running, opened)
    [position] = (await bot(running, trader))["open_positions"]
    return position  # type: ignore[no-any-return]


async def entered(running: RunningApp, **settings: Any) -> tuple[Trader, list[Bar]]:
    """A running paper bot that entered on the series' last bar (its entry sent)."""
    series = await warm_up(running)
    trader = await running_bot(running, **settings)
    await close_bar(running, series[-1])
    return trader, series


async def remember_bars(running: RunningApp, bars: list[Bar]) -> None:
    """Bars the strategy stored as closed before (its history of the pair), without a bar
    handled for each: the next bar after a gap reloads the window from them."""
    async with running.runtime.db.connection() as conn:
        await conn.executemany(
            "INSERT INTO strategy.bars (venue, symbol, timeframe, start, open, high, low, close, "
            "volume) VALUES ($1, $2, '5m', $3, $4, $5, $6, $7, $8)",
            [(VENUE, SYMBOL, b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars],
        )

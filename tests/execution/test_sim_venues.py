"""The simulated venues: real fees, deterministic prices, books, matching, exchange-side state."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from modules.execution.adapters.sim_venue._sql import CONSUMED_SQL
from modules.execution.adapters.sim_venue.venue import SimVenue
from modules.execution.contracts import VenueBookUpdated
from modules.execution.domain.sim_market import PROFILES, SYMBOLS, build_levels, mid_price
from modules.execution.domain.sim_regimes import next_segment
from modules.execution.domain.venue import OrderRequest, VenueRejected
from modules.kernel.sealing import CredentialMaterial
from modules.kernel.statements import DRIVER, schema_of
from tests.conftest import RunningApp
from tests.routing.support import Tap, new_trader

KEY = CredentialMaterial(api_key="sim-key-0001", api_secret="sim-secret-0001")


def venues(running: RunningApp) -> dict[str, Any]:
    return dict(running.app.state.platform.modules["execution"].venues)


def request(symbol: str = "BTC/USD", **fields: Any) -> OrderRequest:
    values: dict[str, Any] = {
        "client_order_id": f"test-{uuid.uuid4().hex}",
        "symbol": symbol,
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("0.1"),
    }
    values.update(fields)
    return OrderRequest(**values)


def test_price_model_is_deterministic_per_seed_and_moves_with_time() -> None:
    t = 1_790_000_000.0
    assert mid_price(7, "kraken", "BTC/USD", t) == mid_price(7, "kraken", "BTC/USD", t)
    assert mid_price(7, "kraken", "BTC/USD", t) != mid_price(8, "kraken", "BTC/USD", t)
    assert mid_price(7, "kraken", "BTC/USD", t) != mid_price(7, "kraken", "BTC/USD", t + 60)
    # Venues quote the same market: a few basis points apart, not the same number.
    mids = [mid_price(7, venue, "ETH/USD", t) for venue in PROFILES]
    assert len(set(mids)) == 3
    assert max(mids) / min(mids) - 1 < 0.001
    # Wanders, but stays near its base over a day.
    day = [mid_price(7, "binance", "BTC/USD", t + h * 3600) for h in range(24)]
    assert all(abs(m / SYMBOLS["BTC/USD"].base_price - 1) < 0.1 for m in day)


async def test_venues_have_ccxt_fees_and_their_own_listings(running: RunningApp) -> None:
    trader = new_trader(running)
    listed = (await running.client.get("/v1/venues", headers=trader.headers)).json()
    by_name = {v["name"]: v for v in listed}
    assert set(by_name) == {"coinbase", "kraken", "binance"}
    for name, venue in by_name.items():
        trading = getattr(ccxt, name)().fees["trading"]
        assert Decimal(venue["taker_fee"]) == Decimal(str(trading["taker"]))
        assert Decimal(venue["maker_fee"]) == Decimal(str(trading["maker"]))
    assert "XRP/USD" not in by_name["coinbase"]["symbols"]
    assert "XRP/USD" in by_name["kraken"]["symbols"] and "XRP/USD" in by_name["binance"]["symbols"]
    assert len({v["latency_ms"] for v in listed}) == 3
    assert (await running.client.get("/v1/venues")).status_code == 401


async def test_books_are_published_for_every_listed_pair_every_tick(running: RunningApp) -> None:
    tap = Tap().attach(running, VenueBookUpdated.TOPIC)
    await asyncio.sleep(0.5)  # the test tick is 0.2 s
    await running.settle()
    books: list[VenueBookUpdated] = tap.events[VenueBookUpdated.TOPIC]  # type: ignore[assignment]
    pairs = {(b.venue, b.symbol) for b in books}
    assert pairs == {(name, s) for name, p in PROFILES.items() for s in p.symbols}
    rounds = [b.occurred_at for b in books if (b.venue, b.symbol) == ("kraken", "BTC/USD")]
    assert len(rounds) >= 2 and rounds == sorted(rounds)
    depth = {}
    for book in books:
        assert len(book.bids) == len(book.asks) == PROFILES[book.venue].levels
        assert book.bids[0].price < book.asks[0].price
        assert [lvl.price for lvl in book.bids] == sorted(
            (lvl.price for lvl in book.bids), reverse=True
        )
        assert [lvl.price for lvl in book.asks] == sorted(lvl.price for lvl in book.asks)
        if book.symbol == "BTC/USD":
            depth[book.venue] = sum(lvl.size for lvl in book.asks)
    assert depth["coinbase"] < depth["kraken"] < depth["binance"]


async def test_placing_a_client_order_id_twice_returns_the_first_order(
    running: RunningApp,
) -> None:
    venue = venues(running)["kraken"]
    order = request()
    first = await venue.place_order(order, KEY)
    second = await venue.place_order(order, KEY)
    assert first.status == "filled" and first.fills
    assert second == first
    assert await venue.fetch_order_by_client_id(order.client_order_id, KEY) == first
    assert await venue.fetch_order_by_client_id("never-placed", KEY) is None
    async with running.runtime.db.connection() as conn:
        trades = await conn.fetchval(
            "SELECT count(*) FROM execution.sim_trades WHERE venue_order_id = $1",
            first.venue_order_id,
        )
    assert trades == len(first.fills)


@contextlib.contextmanager
def statements_sent(venue: SimVenue, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements the venue sends meanwhile, without the driver's own type look-ups."""
    sent: list[str] = []
    database = venue._db

    class Logged:
        """The venue's database, its connections telling what they are sent."""

        @contextlib.asynccontextmanager
        async def connection(self) -> AsyncIterator[Any]:
            async with database.connection() as conn:
                with conn.query_logger(lambda logged: sent.append(logged.query)):
                    yield conn

    with monkeypatch.context() as patched:
        patched.setattr(venue, "_db", Logged())
        yield sent
    # asyncpg's look-ups of a type it meets for the first time are the driver's, not the venue's.
    sent[:] = [query.strip().rstrip(";") for query in sent if schema_of(query) != DRIVER]


async def test_a_new_order_costs_the_exchange_three_statements_in_one_transaction(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine and wallet locked, the reads, the writes (adapters/sim_venue/_sql.py): the bench's
    CPU per order includes the simulated exchange's round trips, so they are kept few."""
    venue = venues(running)["coinbase"]
    with statements_sent(venue, monkeypatch) as sent:
        placed = await venue.place_order(request(quantity=Decimal("0.01")), KEY)
    assert placed.status == "filled" and placed.fills
    control = [query for query in sent if query in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert control == ["BEGIN", "COMMIT"], sent
    assert len(sent) - len(control) == 3, sent


async def test_orders_waiting_for_the_engine_are_matched_in_one_batch_in_order(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders that reach a busy market together cost the three statements of one order; each
    walks the book the orders before it left, and a refusal is its order's alone."""
    venue = venues(running)["kraken"]
    before = await venue.book("ETH/USD")
    best = before.asks[0]
    poor = CredentialMaterial(api_key=f"key-{uuid.uuid4().hex}", api_secret="sim-secret-x")
    burst = [
        (request("ETH/USD", quantity=best.size), KEY),
        # Resting far below the market, it would hold far more than the paper dollars.
        (
            request(
                "ETH/USD", order_type="limit", quantity=Decimal(100_000), limit_price=best.price / 2
            ),
            poor,
        ),
        (request("ETH/USD", quantity=Decimal("0.01")), KEY),
    ]
    with statements_sent(venue, monkeypatch) as sent:
        answers = await asyncio.gather(
            *(venue._place(order, key) for order, key in burst), return_exceptions=True
        )
    first, refused, second = answers
    assert isinstance(refused, VenueRejected), refused
    assert isinstance(refused, VenueRejected) and refused.code == "insufficient_funds"
    assert not isinstance(first, BaseException) and not isinstance(second, BaseException)
    # The first took the whole best level (sizes are fixed per level; prices move with the
    # market clock, so they are compared within the batch, not with the book read before it).
    assert [f.quantity for f in first.fills] == [best.size]
    # The best ask was gone when the third order came: it starts one level deeper.
    assert second.fills[0].price > first.fills[0].price
    control = [query for query in sent if query in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert control == ["BEGIN", "COMMIT"], sent
    assert len(sent) - len(control) == 3, sent
    async with running.runtime.db.connection() as conn:
        stored = await conn.fetch(
            "SELECT client_order_id, status FROM execution.sim_orders "
            "WHERE client_order_id = ANY($1)",
            [order.client_order_id for order, _ in burst],
        )
    assert {row["client_order_id"]: row["status"] for row in stored} == {
        burst[0][0].client_order_id: "filled",
        burst[2][0].client_order_id: "filled",
    }


async def test_a_client_order_id_sent_twice_at_once_is_placed_once(running: RunningApp) -> None:
    venue = venues(running)["binance"]
    order = request(quantity=Decimal("0.01"))
    first, second = await asyncio.gather(venue._place(order, KEY), venue._place(order, KEY))
    assert first == second and first.status == "filled"
    async with running.runtime.db.connection() as conn:
        placed = await conn.fetchval(
            "SELECT count(*) FROM execution.sim_orders WHERE client_order_id = $1",
            order.client_order_id,
        )
    assert placed == 1


async def test_market_orders_walk_the_book_and_expire_what_it_cannot_fill(
    running: RunningApp,
) -> None:
    venue = venues(running)["coinbase"]
    book = await venue.book("SOL/USD")
    available = sum(level.size for level in book.asks)
    placed = await venue.place_order(request("SOL/USD", quantity=available * 2), KEY)
    assert placed.status == "expired"
    assert len(placed.fills) == len(book.asks)
    prices = [f.price for f in placed.fills]
    assert prices == sorted(prices)
    assert placed.filled == pytest.approx(available, rel=Decimal("0.01"))
    for fill in placed.fills:
        assert fill.fee == (fill.price * fill.quantity * venue.fees.taker).quantize(Decimal("1e-8"))
        assert fill.liquidity == "taker" and fill.fee_currency == "USD"
    # What was taken is gone from the book the venue shows next.
    after = await venue.book("SOL/USD")
    assert sum(level.size for level in after.asks) < available * Decimal("0.05")
    assert sum(level.size for level in after.bids) == pytest.approx(
        sum(level.size for level in book.bids), rel=Decimal("0.001")
    )


async def test_the_book_refills_after_trades(running: RunningApp) -> None:
    profile = PROFILES["binance"]
    fees = venues(running)["binance"].fees
    venue = SimVenue(
        profile,
        fees,
        running.runtime.db,
        seed=7,
        latency_scale=0,
        # Long enough that a busy machine still reads the drained book before it refills.
        replenish_seconds=3.0,
        paper_usd=Decimal(10_000_000),  # half the book's ETH is ~750,000 USD
    )
    # A buy (a spot wallet holds dollars, not ETH, to start with) takes from the asks.
    before = sum(level.size for level in (await venue.book("ETH/USD")).asks)
    await venue.place_order(
        request("ETH/USD", side="buy", quantity=(before / 2).quantize(Decimal("1e-8"))), KEY
    )
    drained = sum(level.size for level in (await venue.book("ETH/USD")).asks)
    assert drained < before * Decimal("0.6")
    deadline = asyncio.get_running_loop().time() + 15
    while True:  # refilled linearly over the replenish window; then whole again
        refilled = sum(level.size for level in (await venue.book("ETH/USD")).asks)
        if refilled == pytest.approx(before, rel=Decimal("0.001")):
            break
        assert asyncio.get_running_loop().time() < deadline, (refilled, before)
        await asyncio.sleep(0.1)


# The depletion as it was read before the per-second sums: trade by trade.
_CONSUMED_TRADE_BY_TRADE = """
SELECT side,
       sum(quantity * GREATEST(0, 1 - EXTRACT(EPOCH FROM now() - created_at) / $3)) AS consumed
  FROM execution.sim_trades
 WHERE venue = $1 AND symbol = $2 AND created_at > now() - $4::interval
 GROUP BY side
"""


async def test_a_books_depletion_from_per_second_sums_is_the_sum_over_its_trades(
    running: RunningApp,
) -> None:
    """Trades written at many ages (inside the window, in the second its edge cuts through,
    past it) and in several statements: the depletion read from the per-second sums the trigger
    keeps equals the one summed trade by trade, to the last digit."""
    venue = f"sum-{uuid.uuid4().hex[:8]}"
    ages = [0.0, 0.2, 0.2, 1.5, 7.25, 19.3, 19.999, 20.4, 20.9, 25.0, 3700.0]
    async with running.runtime.db.connection() as conn:
        for n, age in enumerate(ages):
            await conn.execute(
                "INSERT INTO execution.sim_trades (trade_id, venue_order_id, seq, venue, symbol, "
                "side, price, quantity, fee, fee_currency, liquidity, created_at) "
                "SELECT $1 || s, $1, s, $2, 'BTC/USD', $3, 100, $4, 0, 'USD', 'taker', "
                "now() - make_interval(secs => $5) FROM generate_series(1, 2) AS s",
                f"{venue}-{n}",
                venue,
                "buy" if n % 3 else "sell",
                Decimal("0.013") * (n + 1),
                age,
            )
        # One transaction: both reads see the same now().
        async with conn.transaction():
            window = (Decimal(20), timedelta(seconds=20))
            summed = await conn.fetch(CONSUMED_SQL, venue, "BTC/USD", *window)
            direct = await conn.fetch(_CONSUMED_TRADE_BY_TRADE, venue, "BTC/USD", *window)
    assert {r["side"]: r["consumed"] for r in summed} == pytest.approx(
        {r["side"]: r["consumed"] for r in direct}, abs=Decimal("1e-15")
    )
    assert {r["side"] for r in summed} == {"buy", "sell"}


async def test_limit_orders_fill_what_crosses_and_rest_the_rest(running: RunningApp) -> None:
    venue = venues(running)["binance"]
    book = await venue.book("BTC/USD")
    far = await venue.place_order(
        request(order_type="limit", limit_price=book.bids[0].price / 2), KEY
    )
    assert far.status == "open" and far.fills == ()
    # A few basis points through the best ask: some levels cross, the whole book does not.
    limit = (book.asks[0].price * Decimal("1.0003")).quantize(Decimal("0.01"))
    everything = sum(level.size for level in book.asks)
    crossing = await venue.place_order(
        request(order_type="limit", limit_price=limit, quantity=everything), KEY
    )
    assert crossing.status == "open"
    assert all(f.price <= limit for f in crossing.fills)
    assert Decimal(0) < crossing.filled < crossing.quantity


async def test_a_cancel_racing_the_market_ends_in_exactly_one_state(running: RunningApp) -> None:
    venue = venues(running)["kraken"]
    # A down-trend, so the market surely comes down to the orders within the next two hours.
    start = next_segment(venue._seed, "BTC/USD", venue._clock(), "down")
    venue._clock = lambda: start  # the market holds still until the test moves it
    limit = (await venue.book("BTC/USD")).bids[0].price  # below the best ask: it rests
    filled_first = request(order_type="limit", limit_price=limit, quantity=Decimal("0.01"))
    cancelled_first = request(order_type="limit", limit_price=limit, quantity=Decimal("0.01"))
    for order in (filled_first, cancelled_first):
        assert (await venue.place_order(order, KEY)).status == "open"
    cancelled = await venue.cancel_order(cancelled_first.client_order_id, "BTC/USD", KEY)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.fills == ()

    # Later the market comes down to the orders' price, before the other cancel arrives.
    crossing = next(
        start + second
        for second in range(1, 7200)
        if build_levels(venue._seed, venue._profile, "BTC/USD", start + second)[1][0].price <= limit
    )
    venue._clock = lambda: crossing
    beaten = await venue.cancel_order(filled_first.client_order_id, "BTC/USD", KEY)
    assert beaten is not None and beaten.status == "filled", "the fill came first"
    assert {(f.price, f.liquidity) for f in beaten.fills} == {(limit, "maker")}
    assert beaten.filled == Decimal("0.01")
    # Asked again, each order says the same; the cancelled one never fills.
    again = await venue.cancel_order(filled_first.client_order_id, "BTC/USD", KEY)
    assert again == beaten
    still = await venue.fetch_order_by_client_id(cancelled_first.client_order_id, KEY)
    assert still == cancelled
    assert await venue.cancel_order("never-sent", "BTC/USD", KEY) is None


async def test_venue_refusals(running: RunningApp) -> None:
    coinbase = venues(running)["coinbase"]
    cases = [
        (request("XRP/USD"), KEY, "unknown_symbol"),
        (request(quantity=Decimal("0.000001")), KEY, "order_too_small"),
        (request(quantity=Decimal("0.1000000001")), KEY, "invalid_quantity"),
        (request(), CredentialMaterial(api_key=" ", api_secret="x"), "authentication_failed"),
    ]
    for order, key, code in cases:
        with pytest.raises(VenueRejected) as refused:
            await coinbase.place_order(order, key)
        assert refused.value.code == code

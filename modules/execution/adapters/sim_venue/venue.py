"""Simulated venues `coinbase`, `kraken` and `binance`, behind the same `Venue` port as ccxt.

Each venue has its real fee rates (from ccxt), its own book shape and latency, and keeps its
exchange-side state (orders, trades) in Postgres like a real exchange would: on its *own*
connection, committed whatever happens to the caller's transaction. Placing a client order id
that the venue already knows returns that order instead of a second one. Recent trades deplete
the book and it refills linearly over `replenish_seconds`.

A limit order that does not cross rests on the book. The venue fills it (as maker) when the
market comes to it, which the simulation checks whenever the order is looked at: a lookup, a
cancel (so a cancel racing the market is settled by whichever the matching engine sees first) or
a new order. A cancel leaves the fills made before it.

Each account (API key) has a paper wallet (wallet.py) that its trades move in the
transaction recording them; an order the wallet cannot pay for is refused before it trades.

Faults can be injected per venue (`SimFaults`): errors (5xx, nothing placed), 429s (nothing
placed) and timeouts, where half of the timed-out orders *are* placed before the caller hears
nothing back, exactly the case exactly-once placement has to resolve by looking the order up.
API keys follow a convention so credential checks can be exercised: `bad-...` is refused,
`ro-...` may only read, `wd-...` may also withdraw, anything else may read and trade.
Those rules, the book shape and the matching are pure (domain/sim_market.py, sim_engine.py);
this file keeps the exchange's state. New orders wait for their market's engine, which matches
those waiting as one batch in three statements of one transaction (_engine.py, _sql.py): the
bench's CPU per order includes the simulated exchange's round trips.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import asyncpg
import msgspec

from modules.execution.adapters.sim_venue._engine import (
    Outcome,
    _locked_balances,
    _OrderBatches,
    _read_market,
    _record,
)
from modules.execution.adapters.sim_venue._rows import (
    QUOTE_CURRENCY,
    _fill,
    _resting_orders,
    _venue_order,
)
from modules.execution.adapters.sim_venue._sql import (
    CONSUMED_SQL,
    ENGINE_LOCK_SQL,
    INSERT_TRADES_SQL,
)
from modules.execution.adapters.sim_venue.wallet import SimWallet
from modules.execution.domain.bars import Bar, Timeframe, bar_starts, seconds
from modules.execution.domain.history import Shape
from modules.execution.domain.sim_bars import sim_bar
from modules.execution.domain.sim_engine import Incoming, Market, match_batch
from modules.execution.domain.sim_market import (
    PROFILES,
    SYMBOLS,
    SimFaults,
    VenueProfile,
    book_shape,
    build_levels,
    check_order,
    check_symbol,
    crossing_fills,
    deplete,
    fault_for,
    market_time,
    match_status,
    permissions,
    refuses_key,
    trade_fee,
)
from modules.execution.domain.venue import (
    Book,
    OrderRequest,
    VenueFault,
    VenueFees,
    VenueOrder,
    VenueRejected,
    VenueUnavailable,
    account_fingerprint,
)
from modules.execution.domain.wallet import Trade
from modules.kernel.db import Connections
from modules.kernel.sealing import CredentialMaterial
from modules.kernel.settings import Settings

# Base-tier (taker, maker) rates of ccxt's `fees["trading"]` for each simulated venue.
REAL_FEES = {
    "coinbase": VenueFees(taker=Decimal("0.012"), maker=Decimal("0.006")),
    "kraken": VenueFees(taker=Decimal("0.0026"), maker=Decimal("0.0016")),
    "binance": VenueFees(taker=Decimal("0.001"), maker=Decimal("0.001")),
}

# The `application_name` of the simulated exchanges' own database sessions (kernel.db.SidePool).
EXCHANGE_SESSIONS = "nija-sim-exchange"
# Up to this many seconds of market (a few milliseconds of sampling) are built on the loop.
_INLINE_SECONDS = 900
_Answer = TypeVar("_Answer")


class SimVenue:
    def __init__(
        self,
        profile: VenueProfile,
        fees: VenueFees,
        db: Connections,
        *,
        seed: int,
        latency_scale: float,
        replenish_seconds: float = 20.0,
        clock: Callable[[], float] = time.time,
        paper_usd: Decimal = Decimal(10_000),
    ) -> None:
        self.name = profile.name
        self.fees = fees
        self.latency_ms = profile.latency_ms
        self.symbols = frozenset(profile.symbols)
        self._profile = profile
        self._db = db
        self._seed = seed
        self._latency_scale = latency_scale
        self._replenish = Decimal(str(replenish_seconds))
        self._replenish_window = timedelta(seconds=replenish_seconds)
        self._clock = clock
        self._wallet = SimWallet(db, profile.name, paper_usd=paper_usd)
        self.faults = SimFaults()
        # Every placement request that reached this venue, by client order id (as a real
        # exchange's request log would show): proof that nothing was sent twice.
        self.attempts: Counter[str] = Counter()
        self._dice = random.Random(f"{seed}:{profile.name}")  # noqa: S311 - fault dice, not crypto
        # One matching engine per market, as on a real exchange. The advisory lock makes it one
        # across replicas; this lock queues this replica's orders *before* they take a pooled
        # connection and open a transaction, so a burst cannot park the whole pool on the
        # advisory lock.
        self._engines: dict[str, asyncio.Lock] = {}
        # New orders wait here for their market's engine, which takes them in batches.
        self._queues: dict[str, _OrderBatches] = {}

    @classmethod
    def fleet(cls, db: Connections, settings: Settings) -> dict[str, SimVenue]:
        """One simulated venue per profile (`coinbase`, `kraken`, `binance`), on one market
        clock running `sim_speed` times faster than the wall clock."""
        if settings.sim_speed <= 0:
            raise ValueError("NIJA_SIM_SPEED must be positive")
        clock = functools.partial(_market_clock, time.time(), settings.sim_speed)
        return {
            name: cls(
                profile,
                cls.real_fees(name),
                db,
                seed=settings.sim_seed,
                latency_scale=settings.sim_latency_scale,
                clock=clock,
                paper_usd=settings.sim_paper_usd,
            )
            for name, profile in PROFILES.items()
        }

    @staticmethod
    def real_fees(venue: str) -> VenueFees:
        """The venue's base-tier taker/maker rates, as ccxt's fee table gives them.

        Pinned here rather than read from ccxt at start-up: importing ccxt loads every exchange
        it knows (some 45 MiB of a simulated-only process's memory) for three pairs of numbers.
        tests/execution/unit/test_sim_fees.py fails when ccxt's table moves.
        """
        return REAL_FEES[venue]

    async def book(self, symbol: str) -> Book:
        check_symbol(self.name, self.symbols, symbol)
        async with self._db.connection() as conn:
            return await self._book(conn, symbol)

    async def place_order(
        self, request: OrderRequest, credential: CredentialMaterial
    ) -> VenueOrder:
        self._may_trade(credential)
        check_order(self.name, self.symbols, request)
        self.attempts[request.client_order_id] += 1
        return await self._through_faults(lambda: self._place(request, credential))

    async def _place(self, request: OrderRequest, credential: CredentialMaterial) -> VenueOrder:
        account = account_fingerprint(credential.api_key)
        queue = self._queues.get(request.symbol)
        if queue is None:
            match = functools.partial(self._match_batch, request.symbol)
            queue = _OrderBatches(match, name=f"sim-engine:{self._engine_key(request.symbol)}")
            self._queues[request.symbol] = queue
        return await queue.place(Incoming(request=request, account=account))

    async def _match_batch(self, symbol: str, orders: list[Incoming]) -> list[Outcome]:
        """Match a batch of new orders on one market (engine and wallets held): an order the
        exchange already knows is answered as it stands, the others are matched in order."""
        async with self._market(symbol) as conn:
            market, known = await self._lock_and_read(conn, symbol, orders)
            resumed: dict[str, VenueOrder] = {}
            for client_order_id in known:
                existing = await self._load(conn, client_order_id)
                assert existing is not None  # the engine is held: it cannot have gone
                resumed[client_order_id] = await self._fill_resting(conn, existing)
            new = [order for order in orders if order.request.client_order_id not in resumed]
            if resumed and new:
                # What the known orders' fills just took from the book and the wallets.
                market, _ = await self._lock_and_read(conn, symbol, new)
            placed = iter(await _record(conn, self.name, symbol, match_batch(market, new)))
        return [resumed.get(order.request.client_order_id) or next(placed) for order in orders]

    async def _lock_and_read(
        self, conn: asyncpg.Connection, symbol: str, orders: list[Incoming]
    ) -> tuple[Market, list[str]]:
        accounts = [order.account for order in orders]
        locked = await self._wallet.lock(conn, self._engine_key(symbol), accounts, symbol)
        replenish = (self._replenish, self._replenish_window)
        reads = await _read_market(conn, self.name, symbol, replenish, orders)
        bids, asks = build_levels(self._seed, self._profile, symbol, self._clock())
        market = Market(
            bids=bids,
            asks=asks,
            consumed={"buy": reads["consumed_buy"], "sell": reads["consumed_sell"]},
            balances=_locked_balances(locked),
            resting=_resting_orders(reads),
            taker_rate=self.fees.taker,
            maker_rate=self.fees.maker,
        )
        return market, list(reads["known"])

    async def cancel_order(
        self, client_order_id: str, symbol: str, credential: CredentialMaterial
    ) -> VenueOrder | None:
        self._may_trade(credential)
        return await self._through_faults(lambda: self._cancel(client_order_id, symbol))

    def _may_trade(self, credential: CredentialMaterial) -> None:
        self._authenticate(credential)
        if permissions(credential.api_key) == ["read"]:
            raise VenueRejected("permission_denied", f"{self.name}: the API key may not trade")

    async def _through_faults(self, act: Callable[[], Awaitable[_Answer]]) -> _Answer:
        """A request as the network and the injected faults let it through: 429 and 503 do
        nothing; half of the timeouts act before the answer is lost."""
        await self._network_delay()
        fault = fault_for(self._dice.random(), self.faults)
        if fault == "rate_limited":
            raise VenueFault("rate_limited", f"{self.name} answered 429 Too Many Requests")
        if fault == "unavailable":
            raise VenueFault("venue_unavailable", f"{self.name} answered 503")
        if fault is not None:
            if fault == "timeout_placed":
                await act()
            raise VenueUnavailable(f"{self.name} did not answer in time")
        return await act()

    async def _cancel(self, client_order_id: str, symbol: str) -> VenueOrder | None:
        async with self._engine(symbol) as conn:
            order = await self._load(conn, client_order_id)
            if order is None:
                return None
            order = await self._fill_resting(conn, order)
            if order.status != "open":
                return order  # filled (perhaps just now) or already ended: nothing to cancel
            await conn.execute(
                "UPDATE execution.sim_orders SET status = 'cancelled' "
                "WHERE venue = $1 AND client_order_id = $2",
                self.name,
                client_order_id,
            )
            return msgspec.structs.replace(order, status="cancelled")

    @contextlib.asynccontextmanager
    async def _market(self, symbol: str) -> AsyncIterator[asyncpg.Connection]:
        """This replica's queue for one market, then a pooled connection in a transaction:
        the caller takes the engine's lock (`_engine`, or the wallet's lock with it)."""
        engine = self._engines.setdefault(symbol, asyncio.Lock())
        async with engine, self._db.connection() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def _engine(self, symbol: str) -> AsyncIterator[asyncpg.Connection]:
        """The matching engine of one market, which handles one order at a time."""
        async with self._market(symbol) as conn:
            await conn.execute(ENGINE_LOCK_SQL, self._engine_key(symbol))
            yield conn

    def _engine_key(self, symbol: str) -> str:
        return f"{self.name}:{symbol}"

    async def verify_credential(self, credential: CredentialMaterial) -> list[str]:
        self._authenticate(credential)
        await self._network_delay()
        return permissions(credential.api_key)

    async def balances(self, credential: CredentialMaterial) -> dict[str, Decimal]:
        self._authenticate(credential)
        await self._network_delay()
        return await self._wallet.balances(credential)

    async def account_orders(
        self, credential: CredentialMaterial, since: datetime
    ) -> list[VenueOrder]:
        self._authenticate(credential)
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT client_order_id FROM execution.sim_orders "
                "WHERE venue = $1 AND account = $2 AND created_at > $3 ORDER BY created_at",
                self.name,
                account_fingerprint(credential.api_key),
                since,
            )
            found = [await self._load(conn, row["client_order_id"]) for row in rows]
        return [order for order in found if order is not None]

    async def fetch_order_by_client_id(
        self, client_order_id: str, credential: CredentialMaterial
    ) -> VenueOrder | None:
        self._authenticate(credential)
        await self._network_delay()
        if self._dice.random() < self.faults.lookup_error_rate:
            raise VenueFault("venue_unavailable", f"{self.name} answered 503")
        async with self._db.connection() as conn:
            order = await self._load(conn, client_order_id)
        if order is None or order.status != "open":
            return order
        async with self._engine(order.symbol) as conn:
            order = await self._load(conn, client_order_id)
            return None if order is None else await self._fill_resting(conn, order)

    # -- internals ---------------------------------------------------------------------------
    def _authenticate(self, credential: CredentialMaterial) -> None:
        if refuses_key(credential.api_key, credential.api_secret):
            raise VenueRejected("authentication_failed", f"{self.name} refused the API key")

    async def _network_delay(self) -> None:
        delay = self.latency_ms / 1000.0 * self._latency_scale
        if delay > 0:
            await asyncio.sleep(delay)

    async def _book(self, conn: asyncpg.Connection, symbol: str) -> Book:
        rows = await conn.fetch(
            CONSUMED_SQL, self.name, symbol, self._replenish, self._replenish_window
        )
        return self._book_from(symbol, {row["side"]: row["consumed"] for row in rows})

    def _book_from(self, symbol: str, consumed: dict[str, Decimal]) -> Book:
        """The market's book now, less what recent trades took from each `consumed` side."""
        bids, asks = build_levels(self._seed, self._profile, symbol, self._clock())
        return Book(
            venue=self.name,
            symbol=symbol,
            # Buyers take the asks, sellers hit the bids.
            bids=deplete(bids, Decimal(consumed.get("sell", 0))),
            asks=deplete(asks, Decimal(consumed.get("buy", 0))),
            # When the snapshot was taken (routing ages books on the wall clock), whatever
            # market time its prices are from.
            at=datetime.now(UTC),
        )

    async def _fill_resting(self, conn: asyncpg.Connection, order: VenueOrder) -> VenueOrder:
        """Fill what the market now offers a resting limit order, as maker (engine held)."""
        if order.status != "open" or order.limit_price is None:
            return order
        book = await self._book(conn, order.symbol)
        levels = book.asks if order.side == "buy" else book.bids
        crossed = crossing_fills(levels, order.side, order.remaining, order.limit_price)
        if not crossed:
            return order
        # A resting order trades at its own price: the market came to it.
        matched = [(order.limit_price, size) for _, size in crossed]
        made = [Trade(p, size, trade_fee(p, size, self.fees.maker)) for p, size in matched]
        account: str = await conn.fetchval(
            "SELECT account FROM execution.sim_orders WHERE venue_order_id = $1",
            order.venue_order_id,
        )
        await self._wallet.settle_made(
            conn, self._engine_key(order.symbol), account, order.symbol, order.side, made
        )
        seq = len(order.fills)
        trades = await conn.fetch(
            INSERT_TRADES_SQL,
            [str(uuid.uuid4()) for _ in matched],
            order.venue_order_id,
            self.name,
            order.symbol,
            order.side,
            QUOTE_CURRENCY,
            list(range(seq, seq + len(matched))),
            [trade.price for trade in made],
            [trade.quantity for trade in made],
            [trade.fee for trade in made],
            "maker",
        )
        filled = order.filled + sum((size for _, size in matched), Decimal(0))
        status = match_status(order.order_type, order.quantity, filled)
        if status != order.status:
            await conn.execute(
                "UPDATE execution.sim_orders SET status = $3 WHERE venue = $1 "
                "AND client_order_id = $2",
                self.name,
                order.client_order_id,
                status,
            )
        fills = order.fills + tuple(_fill(t) for t in sorted(trades, key=lambda t: t["seq"]))
        return msgspec.structs.replace(order, status=status, fills=fills)

    async def _load(self, conn: asyncpg.Connection, client_order_id: str) -> VenueOrder | None:
        order = await conn.fetchrow(
            "SELECT * FROM execution.sim_orders WHERE venue = $1 AND client_order_id = $2",
            self.name,
            client_order_id,
        )
        if order is None:
            return None
        trades = await conn.fetch(
            "SELECT * FROM execution.sim_trades WHERE venue_order_id = $1 ORDER BY seq",
            order["venue_order_id"],
        )
        return _venue_order(order, trades)

    # -- market data (ProvidesHistory) -------------------------------------------------------
    def market_now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def history(
        self, symbol: str, timeframe: Timeframe, start: datetime, end: datetime
    ) -> list[Bar]:
        """The same bars as the bars worker publishes: a function of the seed and the time."""
        check_symbol(self.name, self.symbols, symbol)
        starts = bar_starts(start.timestamp(), end.timestamp(), self._clock(), timeframe)
        build = functools.partial(
            _bars, self._seed, self.name, self._profile.depth, symbol, timeframe, starts
        )
        # A backtest's months of bars take seconds of CPU: off the event loop.
        if len(starts) * seconds(timeframe) > _INLINE_SECONDS:
            return await asyncio.to_thread(build)
        return build()

    def book_shape(self, symbol: str) -> Shape:
        """The shape `build_levels` gives the book at every instant (DescribesBook)."""
        check_symbol(self.name, self.symbols, symbol)
        bids, asks = book_shape(self._seed, self._profile, symbol)
        spec = SYMBOLS[symbol]
        return Shape(
            price_tick=spec.price_tick, min_quantity=spec.min_quantity, bids=bids, asks=asks
        )


def _bars(
    seed: int, venue: str, depth: float, symbol: str, timeframe: Timeframe, starts: range
) -> list[Bar]:
    return [sim_bar(seed, venue, depth, symbol, timeframe, start) for start in starts]


def _market_clock(started: float, speed: float) -> float:
    return market_time(time.time(), started, speed)

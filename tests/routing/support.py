"""Helpers for routing and execution tests: traders, credentials, and taps on the bus.

Traders are minted as tokens and credentials are announced as vault would announce them (a
`CredentialStored` carrying a really sealed secret), so these tests do not depend on the
identity and vault modules being present.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from app import create_app
from modules.execution.contracts import VenueBookUpdated
from modules.kernel.auth import Principal
from modules.kernel.events import CloudEvent, IntegrationEvent, decode_event, envelope_for
from modules.kernel.ports import Delivery
from modules.kernel.sealing import CredentialMaterial, new_wrapped_data_key, seal
from modules.vault.contracts import CredentialRevoked, CredentialStored
from tests.conftest import RunningApp, serve, truncate_all

TEST_API_SECRET = "sim-api-secret-" + "s" * 24


@dataclass
class Trader:
    user_id: str
    headers: dict[str, str]
    credentials: dict[str, str] = field(default_factory=dict)


def new_trader(running: RunningApp) -> Trader:
    user_id = str(uuid.uuid4())
    token = running.runtime.tokens.issue(Principal(user_id=user_id, role="trader"))
    return Trader(user_id=user_id, headers={"Authorization": f"Bearer {token}"})


def sealed_credential(running: RunningApp, user_id: str, venue: str) -> CredentialStored:
    keyring = running.runtime.keyring
    material = CredentialMaterial(api_key=f"key-{uuid.uuid4().hex}", api_secret=TEST_API_SECRET)
    wrapped = new_wrapped_data_key(keyring, user_id)
    return CredentialStored(
        credential_id=str(uuid.uuid4()),
        user_id=user_id,
        venue=venue,
        key_hint=material.api_key[-4:],
        version=1,
        sealed=seal(keyring, wrapped, user_id, venue, material),
    )


async def announce(running: RunningApp, *events: IntegrationEvent) -> None:
    for event in events:
        await running.runtime.pubsub.publish(envelope_for(event, "test"))
    await running.settle()


async def connect(running: RunningApp, trader: Trader, venues: Iterable[str]) -> None:
    """Give `trader` a stored credential on each venue, as vault would announce it."""
    events = [sealed_credential(running, trader.user_id, venue) for venue in venues]
    for event in events:
        trader.credentials[event.venue] = event.credential_id
    await announce(running, *events)


# Equity big enough that the position-size rule (at most 10 % of equity) admits the sizes a
# test trades; the rule itself is tested in test_risk_gate.py.
ROOMY = {"equity_usd": "1000000000", "risk_level": "high"}


async def trade_settings(running: RunningApp, trader: Trader, **values: Any) -> dict[str, Any]:
    response = await running.client.patch(
        "/v1/settings/trading", json=values, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def roomy(running: RunningApp, trader: Trader) -> None:
    await trade_settings(running, trader, **ROOMY)


async def revoke(running: RunningApp, trader: Trader, venue: str) -> None:
    credential_id = trader.credentials.pop(venue)
    await announce(
        running, CredentialRevoked(credential_id=credential_id, user_id=trader.user_id, venue=venue)
    )


class Tap:
    """Records every event of the given topics that crosses the bus."""

    def __init__(self) -> None:
        self.events: dict[str, list[IntegrationEvent]] = defaultdict(list)
        self.raw: list[bytes] = []

    def attach(self, running_or_pubsub: Any, *topics: str) -> Tap:
        pubsub = getattr(getattr(running_or_pubsub, "runtime", None), "pubsub", running_or_pubsub)
        for topic in topics:
            pubsub.subscribe(topic, f"test.tap.{uuid.uuid4().hex}", self._handle)
        return self

    async def _handle(self, envelope: CloudEvent) -> Delivery:
        assert envelope.data is not None
        self.raw.append(bytes(envelope.data))
        self.events[envelope.type].append(decode_event(envelope.type, envelope.data))
        return Delivery.SUCCESS

    def of(self, event_type: type[IntegrationEvent], **match: Any) -> list[Any]:
        return [
            e
            for e in self.events[event_type.TOPIC]
            if all(getattr(e, k) == v for k, v in match.items())
        ]

    def distinct(self, event_type: type[IntegrationEvent], **match: Any) -> list[Any]:
        """`of`, each event once: delivery is at least once, and a subscriber's inbox drops a
        redelivered event id, so a test counting facts counts ids."""
        return list({e.event_id: e for e in self.of(event_type, **match)}.values())


class BookTape(Tap):
    def book(self, venue: str, symbol: str, at: Any) -> VenueBookUpdated:
        for event in self.of(VenueBookUpdated, venue=venue, symbol=symbol):
            if event.occurred_at == at:
                return event  # type: ignore[no-any-return]
        raise AssertionError(f"no {venue} {symbol} book published at {at}")

    def latest(self, venue: str, symbol: str) -> VenueBookUpdated:
        books = self.of(VenueBookUpdated, venue=venue, symbol=symbol)
        assert books, f"no {venue} {symbol} book seen"
        return max(books, key=lambda b: b.occurred_at)  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def quiet_market(
    make_settings: Any, database_url: str, **overrides: Any
) -> AsyncIterator[tuple[RunningApp, BookTape]]:
    """The whole app with market data published once at start and then not for an hour.

    Books then stay exactly as routing saw them, so a test can recompute costs from the very
    snapshot routing scored, and liquidity taken by one order is still gone for the next.
    """
    await truncate_all(database_url)
    app = create_app(make_settings(market_tick_seconds=3600, **overrides))
    tape = BookTape().attach(app.state.runtime.pubsub, VenueBookUpdated.TOPIC)
    async with serve(app) as running:
        await running.settle()
        yield running, tape


def walk_cost(book: VenueBookUpdated, side: str, quantity: float) -> dict[str, float]:
    """Expected cost of a market order recomputed from a published book (independently)."""
    levels = book.asks if side == "buy" else book.bids
    mid = (float(book.bids[0].price) + float(book.asks[0].price)) / 2
    left, notional = quantity, 0.0
    for level in levels:
        take = min(float(level.size), left)
        notional += float(level.price) * take
        left -= take
        if left <= 1e-12:
            break
    assert left <= 1e-12, "book too thin for this order"
    fee = notional * float(book.taker_fee)
    slippage = (notional - mid * quantity) * (1 if side == "buy" else -1)
    latency_risk = mid * quantity * 1e-4 * math.sqrt(book.latency_ms / 1000)
    return {
        "fee": fee,
        "slippage": slippage,
        "latency_risk": latency_risk,
        "expected_cost": fee + slippage + latency_risk,
    }


def depth(book: VenueBookUpdated, side: str) -> Decimal:
    levels = book.asks if side == "buy" else book.bids
    return sum((level.size for level in levels), Decimal(0))


def jsonable(value: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value))


# -- routing on its own: books and execution's reports are published by the test -----------
SYMBOL_MIDS = {"BTC/USD": Decimal(50000), "ETH/USD": Decimal(2500), "SOL/USD": Decimal(100)}
# Binance cheapest (lowest taker fee), then Kraken, then Coinbase.
TAKER_FEES = {
    "coinbase": Decimal("0.006"),
    "kraken": Decimal("0.0026"),
    "binance": Decimal("0.001"),
}


def synthetic_book(
    venue: str, symbol: str, *, level_size: Decimal = Decimal(1), levels: int = 10
) -> VenueBookUpdated:
    """A symmetric book: levels 1 bps apart from a half-bps spread around the symbol's mid."""
    from modules.execution.contracts import BookLevel

    mid = SYMBOL_MIDS[symbol]
    step = mid / 10000
    bids = [BookLevel(mid - step * (i + Decimal("0.5")), level_size) for i in range(levels)]
    asks = [BookLevel(mid + step * (i + Decimal("0.5")), level_size) for i in range(levels)]
    return VenueBookUpdated(
        venue=venue,
        symbol=symbol,
        bids=bids,
        asks=asks,
        taker_fee=TAKER_FEES[venue],
        maker_fee=TAKER_FEES[venue] / 2,
        latency_ms=50.0,
    )


async def publish_books(
    running: RunningApp,
    symbols: Iterable[str] = ("BTC/USD",),
    venues: Iterable[str] = ("coinbase", "kraken", "binance"),
    level_size: Decimal = Decimal(1),
) -> None:
    await announce(
        running,
        *(
            synthetic_book(venue, symbol, level_size=level_size)
            for symbol in symbols
            for venue in venues
        ),
    )


@contextlib.asynccontextmanager
async def routing_only(
    make_settings: Any, database_url: str, monkeypatch: Any, **env: Any
) -> AsyncIterator[tuple[RunningApp, Tap]]:
    """Routing alone: the test plays execution (books, fills, rejections) at the event seam.

    `env` sets routing's configuration (`NIJA_ROUTING_<NAME>`).
    """
    from modules.routing.contracts import OrderRouted

    for name, value in env.items():
        monkeypatch.setenv(f"NIJA_ROUTING_{name.upper()}", str(value))
    await truncate_all(database_url)
    app = create_app(make_settings(modules=("routing",), market_tick_seconds=3600))
    tap = Tap().attach(app.state.runtime.pubsub, OrderRouted.TOPIC)
    async with serve(app) as running:
        await publish_books(running, SYMBOL_MIDS)
        yield running, tap


def fill_event(routed: Any, price: Decimal, quantity: Decimal | None = None) -> Any:
    """Execution's report that the routed order filled completely at `price`."""
    from modules.execution.contracts import OrderFilled

    quantity = routed.quantity if quantity is None else quantity
    return OrderFilled(
        order_id=routed.order_id,
        user_id=routed.user_id,
        venue=routed.venue,
        fill_id=f"fill-{uuid.uuid4().hex}",
        symbol=routed.symbol,
        side=routed.side,
        price=price,
        quantity=quantity,
        fee=Decimal(0),
        fee_currency="USD",
        liquidity="taker",
        filled_quantity=quantity,
        remaining_quantity=routed.quantity - quantity,
        average_price=price,
        status="filled" if quantity == routed.quantity else "partially_filled",
    )


def position_event(
    routed: Any,
    *,
    quantity: Decimal,
    version: int,
    realised_delta: Decimal = Decimal(0),
    position_id: str | None = None,
) -> Any:
    """Execution's report that a fill of `routed` moved the position to `quantity`.

    Only what routing reads is meaningful (id, quantity, version, realised delta); the id is
    one per user, venue and symbol, as execution's is.
    """
    from modules.execution.contracts import PositionChanged

    key = f"position:{routed.user_id}:{routed.venue}:{routed.symbol}"
    return PositionChanged(
        position_id=position_id or str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
        user_id=routed.user_id,
        venue=routed.venue,
        symbol=routed.symbol,
        quantity=quantity,
        average_entry=Decimal(0),
        realised_pnl=Decimal(0),
        fees=Decimal(0),
        fill_id=f"fill-{uuid.uuid4().hex}",
        status="open" if quantity else "closed",
        realised_delta=realised_delta,
        version=version,
    )


def admin_headers(running: RunningApp) -> dict[str, str]:
    """An admin as the admin API demands one: a second factor enrolled and proved just now."""
    admin = Principal(
        user_id=str(uuid.uuid4()),
        role="admin",
        second_factor=True,
        second_factor_at=int(time.time()),
    )
    return {"Authorization": f"Bearer {running.runtime.tokens.issue(admin)}"}


async def order(running: RunningApp, trader: Trader, **body: Any) -> Any:
    payload = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01", **body}
    return await running.client.post("/v1/orders", json=payload, headers=trader.headers)

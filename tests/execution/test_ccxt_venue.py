"""`CcxtVenue` end to end: ccxt's own `binance` class against the loopback Binance simulator.

The simulator runs as a separate process (`python -m tests.fakes.binance_sim`), like a real
exchange would, on a loopback port. Every order the exchange holds is counted through its
`/_sim/orders` control endpoint, so exactly-once claims are checked on the exchange side.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from modules.execution.adapters.ccxt_venue.venue import CcxtVenue
from modules.execution.domain.venue import (
    OrderRequest,
    VenueFault,
    VenueRejected,
    VenueUnavailable,
)
from modules.execution.ports import ReportsBalances, Venue
from modules.kernel.sealing import CredentialMaterial

ROOT = Path(__file__).resolve().parents[2]
# SOL/USDT is not listed by the simulator: the venue must drop it once markets are loaded.
SYMBOLS = {"BTC/USD": "BTC/USDT", "ETH/USD": "ETH/USDT", "SOL/USD": "SOL/USDT"}


class Sim:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=5)

    def account(self, prefix: str = "key", **fields: Any) -> CredentialMaterial:
        key = f"{prefix}-{uuid.uuid4().hex}"
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        self.http.post(
            "/_sim/accounts", json={"api_key": key, "api_secret": secret, **fields}
        ).raise_for_status()
        return CredentialMaterial(api_key=key, api_secret=secret)

    def orders(self, client_order_id: str) -> list[dict[str, Any]]:
        rows = self.http.get("/_sim/orders").raise_for_status().json()
        return [row for row in rows if row["client_order_id"] == client_order_id]

    def faults(self, **body: Any) -> None:
        self.http.post("/_sim/faults", json=body).raise_for_status()

    def clear_faults(self) -> None:
        self.http.delete("/_sim/faults").raise_for_status()


@pytest.fixture(scope="module")
def sim() -> Iterator[Sim]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.binance_sim", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "simulator did not start"
        simulator = Sim(json.loads(process.stdout.readline())["base_url"])
        assert simulator.base_url.startswith("http://127.0.0.1:")
        yield simulator
        simulator.http.close()
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(autouse=True)
def no_faults(sim: Sim) -> Iterator[None]:
    sim.clear_faults()
    yield
    sim.clear_faults()


def make_venue(sim: Sim, **overrides: Any) -> CcxtVenue:
    values: dict[str, Any] = {
        "symbols": SYMBOLS,
        "sandbox": True,
        "urls_override": {
            "public": f"{sim.base_url}/api/v3",
            "private": f"{sim.base_url}/api/v3",
            "sapi": f"{sim.base_url}/sapi/v1",
        },
        "timeout_ms": 1500,
    }
    values.update(overrides)
    return CcxtVenue("binance", **values)


@pytest.fixture
async def venue(sim: Sim) -> Any:
    venue = make_venue(sim)
    yield venue
    await venue.close()


def order(**fields: Any) -> OrderRequest:
    values: dict[str, Any] = {
        "client_order_id": f"nija-{uuid.uuid4().hex[:24]}",
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("0.01"),
    }
    values.update(fields)
    return OrderRequest(**values)


async def test_loads_markets_fees_and_book_through_ccxt(sim: Sim, venue: CcxtVenue) -> None:
    assert isinstance(venue, Venue)
    book = await venue.book("ETH/USD")
    assert venue.symbols == {"BTC/USD", "ETH/USD"}
    assert venue.fees.taker == Decimal("0.001") and venue.fees.maker == Decimal("0.001")
    assert book.venue == "binance" and book.symbol == "ETH/USD"
    assert book.bids[0].price < book.asks[0].price
    assert [level.price for level in book.asks] == sorted(level.price for level in book.asks)
    assert (book.asks[0].price, book.asks[0].size) == (Decimal("3200.16"), Decimal("8"))
    assert sim.http.get("/_sim/unknown").json() == []
    with pytest.raises(VenueRejected) as refused:
        await venue.book("DOGE/USD")
    assert refused.value.code == "unknown_symbol"


async def test_market_and_limit_orders_are_placed_and_found_by_client_id(
    sim: Sim, venue: CcxtVenue
) -> None:
    key = sim.account()
    market = order()
    placed = await venue.place_order(market, key)
    assert placed.status == "filled" and placed.client_order_id == market.client_order_id
    assert placed.filled == Decimal("0.01")
    assert placed.fills[0].price == Decimal("65003.25")
    assert placed.fills[0].fee == Decimal("0.6500325") and placed.fills[0].fee_currency == "USDT"

    resting = order(order_type="limit", quantity=Decimal("0.5"), limit_price=Decimal("60000"))
    placed_limit = await venue.place_order(resting, key)
    assert placed_limit.status == "open" and placed_limit.fills == ()
    assert placed_limit.limit_price == Decimal("60000")
    crossing = order(symbol="ETH/USD", side="sell", order_type="limit", quantity=Decimal("1"))
    crossing = order(**{**_fields(crossing), "limit_price": Decimal("3190")})
    assert (await venue.place_order(crossing, key)).status == "filled"

    found = await venue.fetch_order_by_client_id(market.client_order_id, key)
    assert found is not None and found.venue_order_id == placed.venue_order_id
    assert found.status == "filled" and found.symbol == "BTC/USD" and found.fills == placed.fills
    found_limit = await venue.fetch_order_by_client_id(resting.client_order_id, key)
    assert found_limit is not None and found_limit.status == "open"
    assert found_limit.limit_price == Decimal("60000") and found_limit.quantity == Decimal("0.5")
    found_eth = await venue.fetch_order_by_client_id(crossing.client_order_id, key)
    assert found_eth is not None and found_eth.symbol == "ETH/USD" and found_eth.side == "sell"
    assert await venue.fetch_order_by_client_id("never-sent", key) is None
    # Another account cannot see these orders.
    assert await venue.fetch_order_by_client_id(market.client_order_id, sim.account()) is None


def _fields(request: OrderRequest) -> dict[str, Any]:
    return {f: getattr(request, f) for f in request.__struct_fields__}


async def test_orders_are_cancelled_by_client_order_id_through_ccxt(
    sim: Sim, venue: CcxtVenue
) -> None:
    key = sim.account()
    resting = order(order_type="limit", quantity=Decimal("0.5"), limit_price=Decimal("60000"))
    await venue.place_order(resting, key)
    cancelled = await venue.cancel_order(resting.client_order_id, "BTC/USD", key)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.client_order_id == resting.client_order_id and cancelled.fills == ()
    assert [row["status"] for row in sim.orders(resting.client_order_id)] == ["CANCELED"]
    # An order that filled before the cancel: the answer is the order as it ended.
    market = order()
    await venue.place_order(market, key)
    ended = await venue.cancel_order(market.client_order_id, "BTC/USD", key)
    assert ended is not None and ended.status == "filled" and ended.filled == Decimal("0.01")
    assert await venue.cancel_order("never-sent", "BTC/USD", key) is None


async def test_same_client_order_id_twice_places_one_order(sim: Sim, venue: CcxtVenue) -> None:
    key = sim.account()
    request = order()
    first = await venue.place_order(request, key)
    second = await venue.place_order(request, key)
    assert second.venue_order_id == first.venue_order_id
    assert second.fills == first.fills
    assert len(sim.orders(request.client_order_id)) == 1


async def test_wrong_secret_or_unknown_key_is_an_authentication_failure(
    sim: Sim, venue: CcxtVenue
) -> None:
    key = sim.account()
    wrong = CredentialMaterial(api_key=key.api_key, api_secret="not-the-" + key.api_secret[8:])
    for credential in (wrong, CredentialMaterial(api_key="nobody", api_secret="whatever-123")):
        request = order()
        with pytest.raises(VenueRejected) as refused:
            await venue.place_order(request, credential)
        assert refused.value.code == "authentication_failed"
        assert credential.api_secret not in str(refused.value)
        assert sim.orders(request.client_order_id) == []
    with pytest.raises(VenueRejected) as refused:
        await venue.verify_credential(wrong)
    assert refused.value.code == "authentication_failed"
    assert "Signature for this request is not valid" in refused.value.reason


async def test_permissions_come_from_the_account(sim: Sim, venue: CcxtVenue) -> None:
    assert await venue.verify_credential(sim.account("wd")) == ["read", "trade", "withdraw"]
    assert await venue.verify_credential(sim.account()) == ["read", "trade"]
    read_only = sim.account("ro")
    assert await venue.verify_credential(read_only) == ["read"]
    with pytest.raises(VenueRejected):
        await venue.place_order(order(), read_only)


async def test_exchange_filters_and_funds_refuse_orders(sim: Sim, venue: CcxtVenue) -> None:
    key = sim.account(balances={"USDT": "100"})
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(order(quantity=Decimal("0.000015")), key)
    # Refused before sending: ccxt would otherwise truncate to the lot step.
    assert refused.value.code == "invalid_quantity"
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(order(quantity=Decimal("0.00002")), key)
    assert refused.value.code == "invalid_order" and "NOTIONAL" in refused.value.reason
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(order(quantity=Decimal("0.1")), key)
    assert refused.value.code == "insufficient_funds"
    with pytest.raises(VenueRejected) as refused:
        await venue.place_order(order(order_type="limit"), key)
    assert refused.value.code == "invalid_price"


async def test_concurrent_users_sign_with_their_own_keys(sim: Sim, venue: CcxtVenue) -> None:
    alice, bob = sim.account(), sim.account()
    requests = [(order(), alice if i % 2 else bob) for i in range(12)]
    placed = await asyncio.gather(*(venue.place_order(r, key) for r, key in requests))
    assert all(p.status == "filled" for p in placed)
    for request, key in requests:
        (row,) = sim.orders(request.client_order_id)
        assert row["api_key_last4"] == key.api_key[-4:]


async def test_no_key_or_secret_reaches_a_log_line(
    sim: Sim, venue: CcxtVenue, caplog: pytest.LogCaptureFixture
) -> None:
    key = sim.account()
    wrong = CredentialMaterial(api_key=key.api_key, api_secret="wrong-" + key.api_secret)
    sim.faults(paths=["POST /api/v3/order"], next=["5xx", "429"])
    with caplog.at_level(logging.DEBUG):
        for credential in (key, key, wrong, key):
            with contextlib.suppress(VenueFault, VenueRejected):
                await venue.place_order(order(), credential)
        await venue.verify_credential(key)
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (key.api_key, key.api_secret, wrong.api_secret):
        assert secret not in text


async def test_429_is_rate_limited_and_places_nothing(sim: Sim, venue: CcxtVenue) -> None:
    key = sim.account()
    await venue.book("BTC/USD")  # markets loaded before the fault is armed
    sim.faults(paths=["POST /api/v3/order"], next=["429"])
    request = order()
    with pytest.raises(VenueFault) as fault:
        await venue.place_order(request, key)
    assert fault.value.code == "rate_limited"
    assert sim.orders(request.client_order_id) == []
    # The next attempt goes through and places it once.
    assert (await venue.place_order(request, key)).status == "filled"
    assert len(sim.orders(request.client_order_id)) == 1


async def test_5xx_is_resolved_by_lookup_before_it_is_reported(sim: Sim, venue: CcxtVenue) -> None:
    key = sim.account()
    await venue.book("BTC/USD")
    sim.faults(paths=["POST /api/v3/order"], next=["5xx", "5xx-after"])
    lost = order()
    with pytest.raises(VenueFault) as fault:
        await venue.place_order(lost, key)
    assert fault.value.code == "venue_unavailable"
    assert sim.orders(lost.client_order_id) == []
    # A 503 after the engine took the order: the lookup finds it instead of reporting a fault.
    taken = order()
    placed = await venue.place_order(taken, key)
    assert placed.status == "filled" and placed.filled == Decimal("0.01")
    assert len(sim.orders(taken.client_order_id)) == 1


async def test_5xx_on_a_read_is_a_venue_fault(sim: Sim, venue: CcxtVenue) -> None:
    await venue.book("BTC/USD")
    sim.faults(paths=["/api/v3/depth"], status_5xx=1.0)
    with pytest.raises(VenueFault) as fault:
        await venue.book("BTC/USD")
    assert fault.value.code == "venue_unavailable"


async def test_timeout_is_ambiguous_and_resolved_by_lookup_without_a_second_order(
    sim: Sim, venue: CcxtVenue
) -> None:
    key = sim.account()
    await venue.book("BTC/USD")
    sim.faults(paths=["POST /api/v3/order"], next=["timeout", "timeout-before"], timeout_seconds=4)
    placed_anyway = order()
    with pytest.raises(VenueUnavailable):
        await venue.place_order(placed_anyway, key)
    resolved = await venue.fetch_order_by_client_id(placed_anyway.client_order_id, key)
    assert resolved is not None and resolved.status == "filled"
    assert len(sim.orders(placed_anyway.client_order_id)) == 1

    never_arrived = order()
    with pytest.raises(VenueUnavailable):
        await venue.place_order(never_arrived, key)
    assert await venue.fetch_order_by_client_id(never_arrived.client_order_id, key) is None
    assert (await venue.place_order(never_arrived, key)).status == "filled"
    assert len(sim.orders(never_arrived.client_order_id)) == 1


async def test_account_orders_lists_what_the_key_placed(sim: Sim, venue: CcxtVenue) -> None:
    key = sim.account()
    since = datetime.now(UTC) - timedelta(seconds=1)
    ours = [order(), order(symbol="ETH/USD", quantity=Decimal("0.1"))]
    for request in ours:
        await venue.place_order(request, key)
    listed = await venue.account_orders(key, since)
    assert {o.client_order_id for o in listed} == {r.client_order_id for r in ours}
    assert all(o.status == "filled" and o.fills for o in listed)
    assert await venue.account_orders(sim.account(), since) == []


async def test_environment_picks_sandbox_or_live_urls(sim: Sim) -> None:
    for environment, host in (
        ("sandbox", "https://testnet.binance.vision/"),
        ("live", "https://api.binance.com/"),
    ):
        client = CcxtVenue.for_environment("binance", environment)._client(None)
        try:
            assert client.urls["api"]["public"].startswith(host)
            assert client.urls["api"]["private"].startswith(host)
        finally:
            await client.close()


def _signed(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def test_simulator_checks_signatures_like_binance(sim: Sim) -> None:
    """Binance signs `totalParams`: the query string followed directly by the body."""
    key = sim.account()
    headers = {"X-MBX-APIKEY": key.api_key, "Content-Type": "application/x-www-form-urlencoded"}
    query = "symbol=BTCUSDT&side=BUY"
    body = f"type=MARKET&quantity=0.01&newClientOrderId=hand-{uuid.uuid4().hex[:8]}"
    body += f"&timestamp={int(time.time() * 1000)}&recvWindow=5000"
    good = _signed(key.api_secret, query + body)
    answer = sim.http.post(
        f"/api/v3/order?{query}", content=f"{body}&signature={good}", headers=headers
    )
    assert answer.status_code == 200 and answer.json()["status"] == "FILLED"

    tampered = body.replace("quantity=0.01", "quantity=0.02")
    answer = sim.http.post(
        f"/api/v3/order?{query}", content=f"{tampered}&signature={good}", headers=headers
    )
    assert (answer.status_code, answer.json()["code"]) == (400, -1022)
    stale = f"timestamp={int(time.time() * 1000) - 60_000}&recvWindow=5000"
    answer = sim.http.get(
        f"/api/v3/account?{stale}&signature={_signed(key.api_secret, stale)}", headers=headers
    )
    assert (answer.status_code, answer.json()["code"]) == (400, -1021)
    answer = sim.http.get(f"/api/v3/account?{stale}&signature=00", headers={})
    assert (answer.status_code, answer.json()["code"]) == (401, -2014)


async def test_balances_are_the_accounts_totals_and_move_with_a_fill(
    sim: Sim, venue: CcxtVenue
) -> None:
    assert isinstance(venue, ReportsBalances)
    key = sim.account(balances={"USDT": "1000", "BTC": "0.5", "ETH": "0"})
    # ccxt's `total`; assets the account holds none of are left out.
    assert await venue.balances(key) == {"BTC": Decimal("0.5"), "USDT": Decimal(1000)}
    placed = await venue.place_order(order(quantity=Decimal("0.001")), key)
    assert placed.status == "filled" and placed.fills
    assert {f.fee_currency for f in placed.fills} == {"USDT"}
    paid = sum(f.price * f.quantity + f.fee for f in placed.fills)
    assert await venue.balances(key) == {"BTC": Decimal("0.501"), "USDT": Decimal(1000) - paid}
    # The markets verification reports are those the platform can trade there (SOL is not listed).
    assert venue.symbols == {"BTC/USD", "ETH/USD"}
    with pytest.raises(VenueRejected) as refused:
        await venue.balances(CredentialMaterial(api_key="nobody", api_secret="whatever-123"))
    assert refused.value.code == "authentication_failed"

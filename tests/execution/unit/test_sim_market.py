"""The simulated market's rules: prices, books, matching, filters, key convention, faults."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest

from modules.execution.domain.sim_market import (
    PROFILES,
    SYMBOLS,
    SimFaults,
    build_levels,
    check_order,
    crossing_fills,
    deplete,
    fault_for,
    match_status,
    mid_price,
    permissions,
    refuses_key,
    trade_fee,
)
from modules.execution.domain.venue import Level, OrderRequest, OrderType, VenueRejected

D = Decimal
LISTED = frozenset({"BTC/USD", "ETH/USD"})


BASE = OrderRequest(
    client_order_id="c-1", symbol="BTC/USD", side="buy", order_type="market", quantity=D("0.001")
)


def _request(**fields: object) -> OrderRequest:
    return msgspec.structs.replace(BASE, **fields)


def test_the_taker_fee_is_rate_times_notional_to_eight_decimals() -> None:
    assert trade_fee(D(65000), D("0.001"), D("0.0026")) == D("0.169")
    assert trade_fee(D("0.3"), D(1), D("0.001")) == D("0.0003")
    assert trade_fee(D(1), D(1), D("0.000000001")) == D("0E-8")


@pytest.mark.parametrize(
    ("order_type", "filled", "expected"),
    [
        ("market", "1", "filled"),
        ("market", "0.4", "expired"),
        ("market", "0", "expired"),
        ("limit", "1", "filled"),
        ("limit", "0.4", "open"),
    ],
)
def test_what_is_left_of_a_market_order_expires_and_of_a_limit_order_rests(
    order_type: OrderType, filled: str, expected: str
) -> None:
    assert match_status(order_type, D(1), D(filled)) == expected


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"symbol": "DOGE/USD"}, "unknown_symbol"),
        ({"quantity": D("0.000000001")}, "invalid_quantity"),
        ({"quantity": D("0.000001")}, "order_too_small"),
        ({"order_type": "limit"}, "invalid_price"),
        ({"order_type": "limit", "limit_price": D(0)}, "invalid_price"),
    ],
)
def test_the_venue_filters_refuse_bad_orders(fields: dict[str, object], code: str) -> None:
    with pytest.raises(VenueRejected) as refused:
        check_order("kraken", LISTED, _request(**fields))
    assert refused.value.code == code


def test_the_minimum_size_itself_is_accepted() -> None:
    check_order("kraken", LISTED, _request(quantity=SYMBOLS["BTC/USD"].min_quantity))
    check_order("kraken", LISTED, _request(order_type="limit", limit_price=D(1)))


def test_a_market_buy_walks_the_asks_and_a_limit_stops_at_its_price() -> None:
    asks = (Level(D(100), D(1)), Level(D(101), D(2)), Level(D(103), D(5)))
    assert crossing_fills(asks, "buy", D("2.5"), None) == [(D(100), D(1)), (D(101), D("1.5"))]
    assert crossing_fills(asks, "buy", D(10), D(101)) == [(D(100), D(1)), (D(101), D(2))]
    assert crossing_fills(asks, "buy", D(1), D(99)) == []
    bids = (Level(D(99), D(1)), Level(D(98), D(1)))
    assert crossing_fills(bids, "sell", D(5), D("98.5")) == [(D(99), D(1))]


def test_depleting_a_book_takes_whole_levels_then_part_of_the_next() -> None:
    levels = (Level(D(100), D(1)), Level(D(101), D(2)), Level(D(102), D(3)))
    assert deplete(levels, D(0)) == levels
    assert deplete(levels, D("1.5")) == (Level(D(101), D("1.5")), Level(D(102), D(3)))
    assert deplete(levels, D(3)) == (Level(D(102), D(3)),)
    assert deplete(levels, D(10)) == ()


def test_prices_and_books_are_the_same_for_the_same_seed_and_instant() -> None:
    profile = PROFILES["kraken"]
    assert mid_price(7, "kraken", "BTC/USD", 1000.0) == mid_price(7, "kraken", "BTC/USD", 1000.0)
    assert mid_price(7, "kraken", "BTC/USD", 1000.0) != mid_price(8, "kraken", "BTC/USD", 1000.0)
    bids, asks = build_levels(7, profile, "BTC/USD", 1000.0)
    assert (bids, asks) == build_levels(7, profile, "BTC/USD", 1000.0)
    assert len(bids) == len(asks) == profile.levels
    assert bids[0].price < asks[0].price
    assert [b.price for b in bids] == sorted((b.price for b in bids), reverse=True)
    assert [a.price for a in asks] == sorted(a.price for a in asks)


def test_the_mid_stays_near_the_symbols_base_price() -> None:
    for t in (0.0, 3600.0, 86400.0 * 30):
        mid = mid_price(7, "binance", "ETH/USD", t)
        assert 0.8 * 3200 < mid < 1.2 * 3200


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (0.0, "rate_limited"),
        (0.099, "rate_limited"),
        (0.1, "unavailable"),
        (0.299, "unavailable"),
        # (Exact float boundaries such as 0.3 - 0.1 - 0.2 are left alone.)
        (0.301, "timeout_placed"),
        (0.349, "timeout_placed"),
        (0.351, "timeout_lost"),
        (0.399, "timeout_lost"),
        (0.4, None),
        (0.99, None),
    ],
)
def test_faults_are_drawn_in_order_429_then_503_then_timeouts(
    draw: float, expected: str | None
) -> None:
    faults = SimFaults(rate_limit_rate=0.1, error_rate=0.2, timeout_rate=0.1)
    assert fault_for(draw, faults) == expected


def test_no_faults_by_default() -> None:
    assert fault_for(0.0, SimFaults()) is None


def test_the_key_convention() -> None:
    assert refuses_key("bad-key", "secret")
    assert refuses_key("  ", "secret")
    assert refuses_key("key", " ")
    assert not refuses_key("key", "secret")
    assert permissions("ro-key") == ["read"]
    assert permissions("wd-key") == ["read", "trade", "withdraw"]
    assert permissions("key") == ["read", "trade"]

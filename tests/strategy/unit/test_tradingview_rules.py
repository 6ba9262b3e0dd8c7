"""TradingView alerts' pure rules: symbol spellings, freshness, fingerprints, the secret's hash
and the order an alert asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from modules.kernel.refusal import Refused
from modules.strategy.domain.tradingview import (
    alert_order,
    check_fresh,
    fingerprint,
    fingerprint_expiry,
    platform_symbol,
    secret_hash,
    secret_matches,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "symbol"),
    [
        ("BTCUSD", "BTC/USD"),
        ("BTCUSDT", "BTC/USD"),
        ("BINANCE:BTCUSDT", "BTC/USD"),
        ("BTC/USD", "BTC/USD"),
        ("btc-usd", "BTC/USD"),
        ("  btc_usdt ", "BTC/USD"),
        ("COINBASE:ETHUSD", "ETH/USD"),
        ("KRAKEN:XBTUSD", "BTC/USD"),
        ("SOLUSDC", "SOL/USD"),
        ("ETHBTC", "ETH/BTC"),
        ("ETH/EUR", "ETH/EUR"),
    ],
)
def test_tradingview_symbols_map_to_the_platforms(raw: str, symbol: str) -> None:
    assert platform_symbol(raw) == symbol


@pytest.mark.parametrize(
    "raw",
    ["", "BTC", "USD", "BTCXYZ", "BTC/", "/USD", "BTCUSDT.P", "B/USD", "USD/USDT", "BTC//USD"],
)
def test_unreadable_symbols_are_refused(raw: str) -> None:
    with pytest.raises(Refused) as refused:
        platform_symbol(raw)
    assert refused.value.code == "unknown_symbol"


def test_an_alert_within_its_lag_is_fresh_either_way_and_beyond_it_stale() -> None:
    check_fresh(None, NOW, 60)
    check_fresh(NOW - timedelta(seconds=60), NOW, 60)
    check_fresh(NOW + timedelta(seconds=30), NOW, 60)
    for sent in (NOW - timedelta(seconds=61), NOW + timedelta(seconds=61)):
        with pytest.raises(Refused) as refused:
            check_fresh(sent, NOW, 60)
        assert refused.value.code == "stale_alert"


def test_fingerprints_tell_alerts_apart_and_live_as_long_as_the_alert_is_fresh() -> None:
    one = fingerprint("h1", NOW, "buy", "BTCUSD", D(100))
    assert one == fingerprint("h1", NOW, "buy", "BTCUSD", D(100))
    assert one != fingerprint("h2", NOW, "buy", "BTCUSD", D(100))
    assert one != fingerprint("h1", NOW + timedelta(seconds=1), "buy", "BTCUSD", D(100))
    assert one != fingerprint("h1", NOW, "sell", "BTCUSD", D(100))
    assert one != fingerprint("h1", None, "buy", "BTCUSD", D(100))
    assert fingerprint_expiry(NOW, NOW + timedelta(seconds=5), 60) == NOW + timedelta(seconds=60)
    assert fingerprint_expiry(None, NOW, 30) == NOW + timedelta(seconds=30)


def test_the_secret_is_checked_against_its_hash() -> None:
    stored = secret_hash("s3cret-" * 6)
    assert "s3cret" not in stored and len(stored) == 64
    assert secret_matches("s3cret-" * 6, stored)
    assert not secret_matches("s3cret-" * 5, stored)


def test_buy_and_sell_trade_size_usd_at_the_last_price() -> None:
    buy = alert_order(
        "buy", symbol="BTC/USD", venue="binance", size_usd=D(100), price=D(40000), held=None
    )
    assert (buy.side, buy.quantity, buy.signal) == ("buy", D("0.0025"), "entry")
    sell = alert_order(
        "sell", symbol="BTC/USD", venue="binance", size_usd=D(100), price=D(3), held=D(1)
    )
    assert (sell.side, sell.quantity, sell.signal) == ("sell", D("33.33333333"), "exit")


def test_close_sells_what_is_held_there() -> None:
    close = alert_order(
        "close", symbol="BTC/USD", venue="binance", size_usd=None, price=None, held=D("0.3")
    )
    assert (close.side, close.quantity, close.signal) == ("sell", D("0.3"), "exit")


@pytest.mark.parametrize(
    ("action", "size", "price", "held", "code"),
    [
        ("close", None, None, None, "nothing_to_close"),
        ("close", None, None, D(0), "nothing_to_close"),
        ("buy", None, D(1), None, "size_required"),
        ("buy", D(10), None, None, "no_market_price"),
        ("sell", D("0.00000001"), D(40000), None, "size_too_small"),
    ],
)
def test_alerts_that_cannot_become_an_order_are_refused(
    action: str, size: D | None, price: D | None, held: D | None, code: str
) -> None:
    with pytest.raises(Refused) as refused:
        alert_order(
            action,  # type: ignore[arg-type]
            symbol="BTC/USD",
            venue="binance",
            size_usd=size,
            price=price,
            held=held,
        )
    assert refused.value.code == code

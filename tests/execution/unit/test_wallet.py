"""Wallet arithmetic: what trades move, what an order needs, and equity in USD."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from modules.execution.domain.venue import VenueRejected
from modules.execution.domain.wallet import (
    OpenOrder,
    Trade,
    check_funds,
    equity_usd,
    holds,
    moves,
    required,
)

TRADES = [Trade(D("65000"), D("0.01"), D("0.78")), Trade(D("65010.5"), D("0.005"), D("0.39"))]


def test_a_buy_pays_notional_and_fees_in_the_quote_and_receives_the_base() -> None:
    # 650 + 325.0525 + 0.78 + 0.39
    assert moves("BTC", "USD", "buy", TRADES) == {"BTC": D("0.015"), "USD": D("-976.2225")}


def test_a_sell_gives_the_base_and_receives_notional_less_fees() -> None:
    assert moves("BTC", "USD", "sell", TRADES) == {"BTC": D("-0.015"), "USD": D("973.8825")}


def test_an_order_needs_its_trades_and_what_rests_at_its_limit_with_the_maker_fee() -> None:
    assert required("buy", TRADES) == D("976.2225")
    assert required("sell", TRADES) == D("0.015")
    resting = required(
        "buy", TRADES, resting=D("0.01"), limit_price=D("64000"), maker_rate=D("0.004")
    )
    assert resting == D("976.2225") + D("642.56")
    assert required("sell", [], resting=D("2")) == D("2")


def test_resting_orders_hold_the_quote_for_buys_and_the_base_for_sells() -> None:
    orders = [
        OpenOrder(base="BTC", quote="USD", side="buy", remaining=D("0.1"), limit_price=D("60000")),
        OpenOrder(base="ETH", quote="USD", side="buy", remaining=D("1"), limit_price=D("3000")),
        OpenOrder(base="BTC", quote="USD", side="sell", remaining=D("0.2"), limit_price=D("70000")),
    ]
    assert holds(orders, D("0.001")) == {"USD": D("6006") + D("3003"), "BTC": D("0.2")}


def test_an_order_beyond_the_free_balance_is_refused_and_one_exactly_within_is_not() -> None:
    check_funds("USD", D("976.2225"), D("976.2225"))
    with pytest.raises(VenueRejected) as refused:
        check_funds("USD", D("976.2224"), D("976.2225"))
    assert refused.value.code == "insufficient_funds"
    assert "976.2225 USD" in refused.value.reason


def test_equity_counts_dollars_at_par_and_assets_at_their_mid_leaving_unpriced_ones_out() -> None:
    balances = {"USD": D("9000.5"), "USDT": D("10"), "BTC": D("0.015"), "DOGE": D("100")}
    assert equity_usd(balances, {"BTC": D("65000.01")}) == D("9985.50")

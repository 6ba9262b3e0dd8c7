"""The position fold and its one fee rule (fees charged to realised P&L, also shown on their own),
and the valuing of a fee in the quote currency; no database."""

from __future__ import annotations

from decimal import Decimal

from modules.execution.domain.ids import position_id
from modules.execution.domain.positions import (
    PositionState,
    apply_fill,
    fee_in_quote,
    pair,
    realised_delta,
    status,
    unrealised,
)

D = Decimal
FLAT = PositionState()


def test_a_buy_from_flat_opens_a_long_at_the_fill_price() -> None:
    state = apply_fill(FLAT, "buy", D(100), D(2), D("0.2"))
    assert state == PositionState(
        quantity=D(2), average_entry=D(100), realised_pnl=D("-0.2"), fees=D("0.2"), version=1
    )
    assert status(state) == "open"


def test_adding_to_a_long_averages_the_entry() -> None:
    state = apply_fill(apply_fill(FLAT, "buy", D(100), D(1), D(0)), "buy", D(130), D(2), D(0))
    assert state.quantity == D(3)
    assert state.average_entry == D(120)
    assert state.realised_pnl == D(0)


def test_a_partial_close_realises_only_the_closed_part_and_keeps_the_entry() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(4), D(0))
    state = apply_fill(long, "sell", D(110), D(1), D(0))
    assert state.quantity == D(3)
    assert state.average_entry == D(100)
    assert state.realised_pnl == D(10)


def test_closing_exactly_goes_flat_with_no_entry() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(2), D("0.1"))
    state = apply_fill(long, "sell", D(90), D(2), D("0.1"))
    assert state.quantity == D(0)
    assert state.average_entry == D(0)
    assert state.realised_pnl == D("-20.2")  # (90 - 100) x 2, less both fees
    assert state.fees == D("0.2")
    assert status(state) == "closed"


def test_crossing_zero_realises_the_long_and_opens_a_short_at_the_fill_price() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(1), D(0))
    state = apply_fill(long, "sell", D(120), D(3), D(0))
    assert state.quantity == D(-2)
    assert state.average_entry == D(120)
    assert state.realised_pnl == D(20)


def test_a_short_profits_when_covered_lower_and_can_cross_back_to_long() -> None:
    short = apply_fill(FLAT, "sell", D(50), D(2), D(0))
    assert short.quantity == D(-2) and short.average_entry == D(50)
    covered = apply_fill(short, "buy", D(40), D(1), D(0))
    assert covered.quantity == D(-1)
    assert covered.average_entry == D(50)
    assert covered.realised_pnl == D(10)
    crossed = apply_fill(covered, "buy", D(45), D(3), D(0))
    assert crossed.quantity == D(2)
    assert crossed.average_entry == D(45)
    assert crossed.realised_pnl == D(15)


def test_adding_to_a_short_averages_the_entry() -> None:
    state = apply_fill(apply_fill(FLAT, "sell", D(10), D(1), D(0)), "sell", D(20), D(1), D(0))
    assert state.quantity == D(-2)
    assert state.average_entry == D(15)


def test_every_fee_is_charged_to_realised_pnl_and_shown_on_its_own() -> None:
    state = FLAT
    for side, price in (("buy", D(100)), ("sell", D(100)), ("buy", D(100))):
        state = apply_fill(state, side, price, D(1), D("0.15"))
    assert state.fees == D("0.45")
    # A round trip at one price realises only its fees, and so does the opening fill after it.
    assert state.realised_pnl == D("-0.45")


def test_realised_pnl_is_price_gain_on_the_closed_part_less_all_fees() -> None:
    bought = apply_fill(FLAT, "buy", D(100), D(4), D("0.4"))
    state = apply_fill(bought, "sell", D(110), D(1), D("0.11"))
    assert state.realised_pnl == D(10) - D("0.4") - D("0.11")
    assert state.fees == D("0.51")
    assert realised_delta(bought, state) == D(10) - D("0.11")


def test_a_fee_on_a_fill_crossing_zero_is_charged_once() -> None:
    long = apply_fill(FLAT, "buy", D(100), D(1), D(0))
    state = apply_fill(long, "sell", D(120), D(3), D("0.36"))
    assert state.realised_pnl == D(20) - D("0.36")
    assert state.fees == D("0.36")


def test_a_rebate_adds_to_realised_pnl() -> None:
    state = apply_fill(FLAT, "buy", D(100), D(1), D("-0.02"))
    assert state.realised_pnl == D("0.02")
    assert state.fees == D("-0.02")


def test_each_fold_counts_one_version() -> None:
    state = FLAT
    for n in range(1, 4):
        state = apply_fill(state, "buy", D(100), D(1), D(0))
        assert state.version == n
    assert apply_fill(state, "sell", D(100), D(3), D(0)).version == 4


def test_realised_delta_is_what_one_fill_realised_fees_included() -> None:
    before = PositionState(quantity=D(2), average_entry=D(100), realised_pnl=D(-1), fees=D(1))
    after = apply_fill(before, "sell", D(90), D(1), D("0.09"))
    assert realised_delta(before, after) == D(-10) - D("0.09")
    opened = apply_fill(FLAT, "buy", D(100), D(1), D("0.1"))
    assert realised_delta(FLAT, opened) == D("-0.1")  # an opening fill realises its fee


def test_entry_and_realised_pnl_are_kept_to_eight_decimals() -> None:
    state = apply_fill(apply_fill(FLAT, "buy", D(1), D(1), D(0)), "buy", D(2), D(2), D(0))
    assert state.average_entry == D("1.66666667")
    closed = apply_fill(state, "sell", D(2), D(1), D(0))
    assert closed.realised_pnl == D("0.33333333")


def test_a_fee_in_the_quote_currency_is_taken_as_it_is() -> None:
    assert fee_in_quote("BTC/USD", D("1.23"), "USD", D(65000)) == D("1.23")
    assert fee_in_quote("BTC-USD", D("1.23"), "usd", D(65000)) == D("1.23")
    assert fee_in_quote("ETH/EUR", D("0.5"), "EUR", D(3000)) == D("0.5")
    assert fee_in_quote("BTC/USD", D("1.23"), "", D(65000)) == D("1.23")  # unnamed: the quote


def test_a_dollar_stablecoin_fee_counts_at_par_on_a_usd_pair() -> None:
    # Binance lists BTC/USD as BTC/USDT and charges its fees in USDT.
    assert fee_in_quote("BTC/USD", D("0.65"), "USDT", D(65000)) == D("0.65")
    assert fee_in_quote("BTC/USD", D("0.65"), "USDC", D(65000)) == D("0.65")
    assert fee_in_quote("BTC/EUR", D("0.65"), "USDT", D(60000)) is None


def test_a_fee_in_the_base_asset_is_valued_at_the_fill_price() -> None:
    assert fee_in_quote("BTC/USD", D("0.00001"), "BTC", D(65000)) == D("0.65")
    assert fee_in_quote("ETH-USD", D("0.001"), "eth", D("2500.5")) == D("2.5005")
    assert fee_in_quote("BTC/USD", D("0.000000001"), "BTC", D("65432.1")) == D("0.00006543")


def test_a_fee_in_a_third_currency_cannot_be_valued_from_the_fill() -> None:
    assert fee_in_quote("BTC/USD", D("0.001"), "BNB", D(65000)) is None
    assert fee_in_quote("BTC/USD", D(0), "BNB", D(65000)) == D(0)  # nothing paid, nothing lost


def test_pairs_are_read_in_either_spelling() -> None:
    assert pair("BTC/USD") == pair("BTC-USD") == pair("btc/usd") == ("BTC", "USD")


def test_unrealised_marks_what_is_held_at_the_mid() -> None:
    long = PositionState(quantity=D(2), average_entry=D(100))
    short = PositionState(quantity=D(-2), average_entry=D(100))
    assert unrealised(long, D(105)) == D(10)
    assert unrealised(short, D(105)) == D(-10)
    assert unrealised(long, None) == D(0)
    assert unrealised(FLAT, D(105)) == D(0)


def test_a_position_id_is_the_same_for_the_same_user_venue_and_symbol() -> None:
    assert position_id("u1", "kraken", "BTC/USD") == position_id("u1", "kraken", "BTC/USD")
    assert position_id("u1", "kraken", "BTC/USD") != position_id("u1", "binance", "BTC/USD")
    assert position_id("u1", "kraken", "BTC/USD") != position_id("u2", "kraken", "BTC/USD")

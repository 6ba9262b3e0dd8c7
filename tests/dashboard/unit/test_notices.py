"""What the trader is told, and when: notices from order changes and security events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modules.dashboard.domain import notices
from modules.dashboard.domain.notices import Notice
from tests.dashboard.unit.factories import expired, fill, order


def test_a_reroute_of_an_order_shown_rejected_is_corrected() -> None:
    before = order(attempt=0, status="rejected", venue="kraken", reason="down (venue_error)")
    after = order(attempt=1, status="routed", venue="binance", side="sell")
    assert notices.rerouted(before, after) == Notice(
        "order.rerouted",
        "Order re-routed",
        "kraken could not take your BTC-USD sell order (down (venue_error)); "
        "it was sent to binance.",
    )


def test_a_reroute_is_silent_unless_a_later_attempt_takes_over_a_rejected_order() -> None:
    working = order(attempt=0, status="accepted")
    assert notices.rerouted(working, order(attempt=1)) is None
    shown_rejected = order(attempt=1, status="rejected")
    assert notices.rerouted(shown_rejected, order(attempt=1)) is None, "same attempt"
    assert notices.rerouted(shown_rejected, order(attempt=0)) is None, "a stale decision"


def test_a_rejection_is_told_with_its_reason() -> None:
    row = order(status="rejected", reason="Not enough USD (insufficient_funds)")
    assert notices.rejected(row) == Notice(
        "order.rejected",
        "Order rejected",
        "Your BTC-USD buy order was rejected: Not enough USD (insufficient_funds)",
    )


def test_unknown_symbol_and_side_leave_gaps_rather_than_none() -> None:
    row = order(status="rejected", symbol=None, side=None, reason="x")
    notice = notices.rejected(row)
    assert notice is not None and notice.body == "Your   order was rejected: x"


@pytest.mark.parametrize("status", ["routed", "accepted", "filled", "expired"])
def test_a_rejection_the_fold_did_not_apply_is_silent(status: str) -> None:
    assert notices.rejected(order(status=status)) is None


def test_an_expiry_says_how_much_was_cancelled_and_why() -> None:
    notice = notices.expired(order(status="expired"), expired())
    assert notice == Notice(
        "order.expired",
        "Order expired",
        "The unfilled 0.7 of your BTC-USD order was cancelled: no liquidity",
    )
    assert notices.expired(order(status="filled"), expired()) is None


def test_a_fill_is_told_in_words() -> None:
    notice = notices.filled(order(status="partially_filled"), fill())
    assert notice == Notice(
        "order.filled",
        "Order partially filled",
        "Bought 0.25 BTC of BTC-USD at 65010.5 on kraken (fee 0.5 USD).",
    )


def test_the_last_fill_of_a_sell_says_filled_and_sold() -> None:
    notice = notices.filled(
        order(status="filled", side="sell", symbol="ETH/USDT"), fill(quantity=Decimal("2"))
    )
    assert notice.title == "Order filled"
    assert notice.body.startswith("Sold 2 ETH of ETH/USDT at ")


def test_a_fill_of_an_order_not_yet_described_still_reads() -> None:
    notice = notices.filled(order(symbol=None, side=None), fill())
    assert notice.body == "Sold 0.25  of  at 65010.5 on kraken (fee 0.5 USD)."


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("new_device", "New device"),
        ("two_factor_enabled", "Two-factor enabled"),
        ("two_factor_disabled", "Two-factor disabled"),
        ("password_changed", "Password changed"),
        ("lockout", "Sign-in locked"),
    ],
)
def test_security_events_have_their_own_kind_and_text(kind: str, title: str) -> None:
    notice = notices.security(kind)
    assert (notice.kind, notice.title) == (f"security.{kind}", title)
    assert notice.body.endswith(".")


def test_a_security_event_with_no_text_is_not_guessed_at() -> None:
    with pytest.raises(KeyError):
        notices.security("firmware_updated")

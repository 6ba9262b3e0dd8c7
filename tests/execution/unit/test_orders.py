"""Order facts from a venue's answer: statuses, averages, running totals, auto-disable."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from modules.execution.domain.orders import (
    MAX_CONSECUTIVE_ERRORS,
    QueuedOrder,
    average_price,
    is_account_error,
    order_status,
    progress,
    request_for,
    should_pause,
)
from modules.execution.domain.venue import VenueFill, VenueOrder, VenueOrderStatus

D = Decimal
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(trade_id: str, price: str, quantity: str) -> VenueFill:
    return VenueFill(
        trade_id=trade_id,
        price=D(price),
        quantity=D(quantity),
        fee=D(0),
        fee_currency="USD",
        liquidity="taker",
        at=AT,
    )


def _placed(status: VenueOrderStatus, *fills: VenueFill, quantity: str = "3") -> VenueOrder:
    return VenueOrder(
        venue="kraken",
        venue_order_id="v-1",
        client_order_id="c-1",
        symbol="BTC/USD",
        side="buy",
        order_type="market",
        quantity=D(quantity),
        limit_price=None,
        status=status,
        fills=fills,
    )


def test_average_price_is_weighted_by_quantity_and_none_before_a_fill() -> None:
    assert average_price(()) is None
    fills = (_fill("a", "100", "1"), _fill("b", "103", "2"))
    assert average_price(fills) == D(102)
    assert average_price((_fill("a", "1", "3"), _fill("b", "2", "0"))) == D(1)


def test_average_price_is_kept_to_eight_decimals() -> None:
    fills = (_fill("a", "1", "1"), _fill("b", "2", "2"))
    assert average_price(fills) == D("1.66666667")


def test_progress_gives_running_totals_and_the_status_after_each_fill() -> None:
    placed = _placed("filled", _fill("a", "100", "1"), _fill("b", "106", "2"))
    steps = list(progress(placed))
    assert [s.fill.trade_id for s in steps] == ["a", "b"]
    assert [s.filled for s in steps] == [D(1), D(3)]
    assert [s.average_price for s in steps] == [D(100), D(104)]
    assert [s.status for s in steps] == ["partially_filled", "filled"]


@pytest.mark.parametrize(
    ("venue_status", "filled", "expected"),
    [
        ("open", "0", "open"),
        ("open", "0.5", "partially_filled"),
        ("filled", "3", "filled"),
        ("expired", "1", "expired"),
        ("expired", "0", "expired"),
    ],
)
def test_order_status_follows_the_venue(
    venue_status: VenueOrderStatus, filled: str, expected: str
) -> None:
    assert order_status(_placed(venue_status), D(filled)) == expected


def test_only_account_refusals_count_towards_auto_disable() -> None:
    assert is_account_error("authentication_failed")
    assert is_account_error("permission_denied")
    assert not is_account_error("insufficient_funds")
    assert not is_account_error("venue_unavailable")


def test_a_user_is_paused_at_the_fifth_error_in_a_row() -> None:
    assert MAX_CONSECUTIVE_ERRORS == 5
    assert not should_pause(4)
    assert should_pause(5)
    assert should_pause(6)


def test_the_request_carries_the_orders_client_id_and_terms() -> None:
    order = QueuedOrder(
        order_id="o-1",
        user_id="u-1",
        client_order_id="nija-1",
        venue="kraken",
        credential_id="cred-1",
        symbol="ETH/USD",
        side="sell",
        order_type="limit",
        quantity=D("0.5"),
        limit_price=D(3000),
        status="queued",
        priority=3,
    )
    request = request_for(order)
    assert request.client_order_id == "nija-1"
    assert (request.symbol, request.side, request.order_type) == ("ETH/USD", "sell", "limit")
    assert (request.quantity, request.limit_price) == (D("0.5"), D(3000))

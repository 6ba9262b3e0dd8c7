"""Which events a venue's answer produces: each fact once, with ids derived from the fact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled
from modules.execution.domain.ids import position_id
from modules.execution.domain.orders import QueuedOrder
from modules.execution.domain.venue import VenueFill, VenueOrder, VenueOrderStatus
from modules.execution.service.order_events import event_id, placement_events

D = Decimal
ORDER = QueuedOrder(
    order_id="o-1",
    user_id="u-1",
    client_order_id="nija-1",
    venue="kraken",
    credential_id="cred-1",
    symbol="BTC/USD",
    side="buy",
    order_type="market",
    quantity=D(3),
    limit_price=None,
    status="placing",
    priority=3,
)


def _fill(trade_id: str, price: str, quantity: str) -> VenueFill:
    return VenueFill(
        trade_id=trade_id,
        price=D(price),
        quantity=D(quantity),
        fee=D("0.01"),
        fee_currency="USD",
        liquidity="taker",
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _placed(status: VenueOrderStatus, *fills: VenueFill) -> VenueOrder:
    return VenueOrder(
        venue="kraken",
        venue_order_id="v-1",
        client_order_id="nija-1",
        symbol="BTC/USD",
        side="buy",
        order_type="market",
        quantity=D(3),
        limit_price=None,
        status=status,
        fills=fills,
    )


def test_a_first_recording_reports_acceptance_and_every_fill_with_running_totals() -> None:
    placed = _placed("filled", _fill("a", "100", "1"), _fill("b", "106", "2"))
    events = placement_events(ORDER, placed, "placing", {"a", "b"})
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderFilled]
    first, second = events[1], events[2]
    assert isinstance(first, OrderFilled) and isinstance(second, OrderFilled)
    assert (first.filled_quantity, first.remaining_quantity) == (D(1), D(2))
    assert (second.filled_quantity, second.remaining_quantity) == (D(3), D(0))
    assert (first.status, second.status) == ("partially_filled", "filled")
    assert second.average_price == D(104)
    # Each fill names the user's position on the venue and symbol, as PositionChanged does.
    assert first.position_id == second.position_id == position_id("u-1", "kraken", "BTC/USD")


def test_a_second_recording_reports_only_what_is_new() -> None:
    placed = _placed("filled", _fill("a", "100", "1"), _fill("b", "106", "2"))
    events = placement_events(ORDER, placed, "partially_filled", {"b"})
    assert len(events) == 1
    (fill,) = events
    assert isinstance(fill, OrderFilled) and fill.fill_id == "b"
    # Running totals still count the fill recorded before.
    assert fill.filled_quantity == D(3)
    assert placement_events(ORDER, placed, "filled", set()) == []


def test_an_expiry_is_reported_once_with_what_was_left() -> None:
    placed = _placed("expired", _fill("a", "100", "1"))
    events = placement_events(ORDER, placed, "ambiguous", {"a"})
    expired = events[-1]
    assert isinstance(expired, OrderExpired)
    assert (expired.filled_quantity, expired.remaining_quantity) == (D(1), D(2))
    assert placement_events(ORDER, placed, "expired", set()) == []


def test_event_ids_are_derived_from_the_facts() -> None:
    placed = _placed("filled", _fill("a", "100", "3"))
    again = placement_events(ORDER, placed, "queued", {"a"})
    assert [e.event_id for e in again] == [
        e.event_id for e in placement_events(ORDER, placed, "queued", {"a"})
    ]
    assert again[1].event_id == event_id("o-1", "fill", "a")
    assert event_id("o-1", "fill", "a") != event_id("o-1", "fill", "b")
    assert event_id("o-1", "accepted") != event_id("o-1", "rejected")

"""What a venue's answer means as execution events (no I/O).

Event ids are derived from the facts they report, so a fact recorded twice (a redelivery, a
reconciliation after a crash) is deduped downstream instead of counted twice.
"""

from __future__ import annotations

from decimal import Decimal

from modules.execution.contracts import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    PositionChanged,
)
from modules.execution.domain.ids import EVENT_NAMESPACE, position_id
from modules.execution.domain.orders import (
    NOT_YET_ACCEPTED,
    FillProgress,
    QueuedOrder,
    progress,
)
from modules.execution.domain.positions import PositionState, realised_delta, status
from modules.execution.domain.venue import VenueOrder
from modules.kernel.events import IntegrationEvent
from modules.kernel.ids import derived_uuid


def event_id(*parts: str, near: str | None = None) -> str:
    """The id of the fact `parts` name, beside `near` (else the first part) in time."""
    return str(derived_uuid(EVENT_NAMESPACE, ":".join(parts), near or parts[0]))


def placement_events(
    order: QueuedOrder, placed: VenueOrder, before: str, new_fills: set[str]
) -> list[IntegrationEvent]:
    """Events for what this recording newly learnt (a second recording publishes nothing twice)."""
    events: list[IntegrationEvent] = []
    if before in NOT_YET_ACCEPTED:
        events.append(
            OrderAccepted(
                event_id=event_id(order.order_id, "accepted"),
                order_id=order.order_id,
                user_id=order.user_id,
                source=order.source,
                venue=placed.venue,
                client_order_id=placed.client_order_id,
                venue_order_id=placed.venue_order_id,
            )
        )
    position = position_id(order.user_id, order.venue, order.symbol)
    events += [
        _filled(order, placed, step, position)
        for step in progress(placed)
        if step.fill.trade_id in new_fills
    ]
    if placed.status == "expired" and before != "expired":
        filled = placed.filled
        events.append(
            OrderExpired(
                event_id=event_id(order.order_id, "expired"),
                order_id=order.order_id,
                user_id=order.user_id,
                source=order.source,
                venue=placed.venue,
                filled_quantity=filled,
                remaining_quantity=placed.quantity - filled,
                reason="the book could not fill the rest of the market order",
            )
        )
    if placed.status == "cancelled" and before != "cancelled":
        filled = placed.filled
        events.append(
            OrderCancelled(
                event_id=event_id(order.order_id, "cancelled"),
                order_id=order.order_id,
                user_id=order.user_id,
                source=order.source,
                venue=placed.venue,
                filled_quantity=filled,
                remaining_quantity=placed.quantity - filled,
            )
        )
    return events


def cancelled_in_queue(order: QueuedOrder) -> OrderCancelled:
    """A cancel that caught the order before any venue saw it: nothing filled."""
    return OrderCancelled(
        event_id=event_id(order.order_id, "cancelled"),
        order_id=order.order_id,
        user_id=order.user_id,
        source=order.source,
        venue=order.venue,
        filled_quantity=Decimal(0),
        remaining_quantity=order.quantity,
    )


def _filled(
    order: QueuedOrder, placed: VenueOrder, step: FillProgress, position: str
) -> OrderFilled:
    fill = step.fill
    return OrderFilled(
        event_id=event_id(order.order_id, "fill", fill.trade_id),
        order_id=order.order_id,
        user_id=order.user_id,
        source=order.source,
        venue=placed.venue,
        fill_id=fill.trade_id,
        symbol=placed.symbol,
        side=placed.side,
        price=fill.price,
        quantity=fill.quantity,
        fee=fill.fee,
        fee_currency=fill.fee_currency,
        liquidity=fill.liquidity,
        filled_quantity=step.filled,
        remaining_quantity=placed.quantity - step.filled,
        average_price=step.average_price,
        status=step.status,
        position_id=position,
    )


def rejected_event(order: QueuedOrder, code: str, reason: str) -> OrderRejected:
    return OrderRejected(
        event_id=event_id(order.order_id, "rejected"),
        order_id=order.order_id,
        user_id=order.user_id,
        source=order.source,
        venue=order.venue,
        code=code,
        reason=reason,
    )


def position_changed(
    order: QueuedOrder, position_id: str, fill_id: str, before: PositionState, state: PositionState
) -> PositionChanged:
    return PositionChanged(
        event_id=event_id(position_id, "fill", fill_id, near=order.order_id),
        position_id=position_id,
        user_id=order.user_id,
        venue=order.venue,
        symbol=order.symbol,
        quantity=state.quantity,
        average_entry=state.average_entry,
        realised_pnl=state.realised_pnl,
        fees=state.fees,
        fill_id=fill_id,
        status=status(state),
        realised_delta=realised_delta(before, state),
        version=state.version,
    )

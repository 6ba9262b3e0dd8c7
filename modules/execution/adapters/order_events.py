"""What a venue's answer means as execution events (pure: no I/O).

Event ids are derived from the facts they report, so a fact recorded twice (a redelivery, a
reconciliation after a crash) is deduped downstream instead of counted twice.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from modules.execution.adapters.venue import OrderRequest, VenueOrder
from modules.execution.contracts import OrderAccepted, OrderExpired, OrderFilled
from modules.execution.repository import QueuedOrder
from modules.kernel.events import IntegrationEvent

PRICE_STEP = Decimal("0.00000001")
EVENT_NAMESPACE = uuid.UUID("5b0f8a52-3c1e-4a8e-9b7d-6a1f2e4c9d10")


def event_id(*parts: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, ":".join(parts)))


def request_for(order: QueuedOrder) -> OrderRequest:
    return OrderRequest(
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        quantity=order.quantity,
        limit_price=order.limit_price,
    )


def placement_events(
    order: QueuedOrder, placed: VenueOrder, before: str, new_fills: set[str]
) -> list[IntegrationEvent]:
    """Events for what this recording newly learnt (a second recording publishes nothing twice)."""
    events: list[IntegrationEvent] = []
    if before in ("queued", "placing", "ambiguous"):
        events.append(
            OrderAccepted(
                event_id=event_id(order.order_id, "accepted"),
                order_id=order.order_id,
                user_id=order.user_id,
                venue=placed.venue,
                client_order_id=placed.client_order_id,
                venue_order_id=placed.venue_order_id,
            )
        )
    filled = Decimal(0)
    notional = Decimal(0)
    for fill in placed.fills:
        filled += fill.quantity
        notional += fill.price * fill.quantity
        if fill.trade_id not in new_fills:
            continue
        events.append(
            OrderFilled(
                event_id=event_id(order.order_id, "fill", fill.trade_id),
                order_id=order.order_id,
                user_id=order.user_id,
                venue=placed.venue,
                fill_id=fill.trade_id,
                symbol=placed.symbol,
                side=placed.side,
                price=fill.price,
                quantity=fill.quantity,
                fee=fill.fee,
                fee_currency=fill.fee_currency,
                liquidity=fill.liquidity,
                filled_quantity=filled,
                remaining_quantity=placed.quantity - filled,
                average_price=(notional / filled).quantize(PRICE_STEP),
                status="filled" if filled >= placed.quantity else "partially_filled",
            )
        )
    if placed.status == "expired" and before != "expired":
        events.append(
            OrderExpired(
                event_id=event_id(order.order_id, "expired"),
                order_id=order.order_id,
                user_id=order.user_id,
                venue=placed.venue,
                filled_quantity=filled,
                remaining_quantity=placed.quantity - filled,
                reason="the book could not fill the rest of the market order",
            )
        )
    return events


def order_status(placed: VenueOrder, filled: Decimal) -> str:
    if placed.status == "open":
        return "partially_filled" if filled > 0 else "open"
    return placed.status

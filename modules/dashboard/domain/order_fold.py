"""How one order event changes the order's read-model row.

Delivery is at-least-once and out of order, so each function merges an event into the current
row rather than overwriting it: a status only moves forward and never leaves a terminal state,
and fill figures never go backwards. A re-routed order's events fold into the trader's one row,
whose venue and status follow the latest route attempt.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from modules.dashboard.domain.read_model import (
    FillRecord,
    FillTotals,
    OrderRecord,
    OrderStatus,
    Target,
)
from modules.execution.contracts import (
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from modules.routing.contracts import OrderRouted

TERMINAL: frozenset[OrderStatus] = frozenset({"filled", "rejected", "expired", "cancelled"})
_RANK: dict[OrderStatus, int] = {
    "routed": 0,
    "accepted": 1,
    "partially_filled": 2,
    "filled": 3,
    "rejected": 3,
    "expired": 3,
    "cancelled": 3,
}
_AVERAGE_PLACES = Decimal("1e-10")


def next_status(current: OrderStatus, proposed: OrderStatus) -> OrderStatus:
    """Move forward only; a terminal status is final whatever arrives late."""
    if current in TERMINAL or _RANK[proposed] < _RANK[current]:
        return current
    return proposed


def routed_target(event: OrderRouted) -> Target:
    """The order a routing decision is about; one without `original_order_id` only knows itself."""
    if event.original_order_id is None:
        return Target(event.order_id, 0)
    return Target(event.original_order_id, event.attempt)


def for_attempt(order: OrderRecord, attempt: int) -> OrderRecord | None:
    """The row an event of route attempt `attempt` folds into; None when a later attempt owns it.

    A later attempt exists only because the venue failed the earlier one, so the earlier one's
    venue, status and reason stop describing the order (even a `rejected`); fills stay, as facts.
    """
    if attempt < order.attempt:
        return None
    if attempt == order.attempt:
        return order
    return msgspec.structs.replace(
        order, attempt=attempt, status="routed", venue=None, venue_order_id=None, reason=None
    )


def fill_record(event: OrderFilled) -> FillRecord:
    """The fill as stored: under the attempt's execution order id it was reported for."""
    return FillRecord(
        order_id=event.order_id,
        fill_id=event.fill_id,
        user_id=event.user_id,
        venue=event.venue,
        price=event.price,
        quantity=event.quantity,
        fee=event.fee,
        fee_currency=event.fee_currency,
        liquidity=event.liquidity,
        executed_at=event.occurred_at,
    )


def merge_routed(order: OrderRecord, event: OrderRouted) -> OrderRecord:
    return msgspec.structs.replace(
        order,
        symbol=event.symbol,
        side=event.side,
        order_type=event.order_type,
        quantity=event.quantity,
        limit_price=event.limit_price,
        # Execution reports where the order really went; routing's choice only fills a gap.
        venue=order.venue or event.venue,
        created_at=min(order.created_at, event.occurred_at),
    )


def merge_accepted(order: OrderRecord, event: OrderAccepted) -> OrderRecord:
    return msgspec.structs.replace(
        order,
        venue=event.venue,
        venue_order_id=event.venue_order_id,
        status=next_status(order.status, "accepted"),
    )


def merge_filled(order: OrderRecord, event: OrderFilled, totals: FillTotals) -> OrderRecord:
    # Fills may arrive out of order: what we have summed can lag the venue's cumulative figure,
    # never exceed it, so the larger of the two is the truth so far.
    if event.filled_quantity > totals.quantity:
        filled, average = event.filled_quantity, event.average_price
    elif totals.quantity == event.filled_quantity:
        filled, average = totals.quantity, event.average_price
    else:
        filled = totals.quantity
        average = (totals.notional / totals.quantity).quantize(_AVERAGE_PLACES)
    return msgspec.structs.replace(
        order,
        symbol=order.symbol or event.symbol,
        side=order.side or event.side,
        quantity=order.quantity or event.filled_quantity + event.remaining_quantity,
        venue=event.venue,
        status=next_status(order.status, event.status),
        filled_quantity=filled,
        average_price=average,
        fees=totals.fees,
        fee_currency=event.fee_currency,
    )


def merge_fill_totals(order: OrderRecord, totals: FillTotals) -> OrderRecord:
    """A superseded attempt's fill: it still counts, but venue and status are the latest's."""
    if not totals.quantity or totals.quantity < order.filled_quantity:
        return msgspec.structs.replace(order, fees=totals.fees)
    average = (totals.notional / totals.quantity).quantize(_AVERAGE_PLACES)
    return msgspec.structs.replace(
        order, filled_quantity=totals.quantity, average_price=average, fees=totals.fees
    )


def merge_rejected(order: OrderRecord, event: OrderRejected) -> OrderRecord:
    status = next_status(order.status, "rejected")
    reason = f"{event.reason} ({event.code})" if status == "rejected" else order.reason
    return msgspec.structs.replace(order, venue=event.venue, status=status, reason=reason)


def merge_expired(order: OrderRecord, event: OrderExpired) -> OrderRecord:
    status = next_status(order.status, "expired")
    return msgspec.structs.replace(
        order,
        venue=event.venue,
        status=status,
        quantity=order.quantity or event.filled_quantity + event.remaining_quantity,
        filled_quantity=max(order.filled_quantity, event.filled_quantity),
        reason=event.reason if status == "expired" else order.reason,
    )


def merge_cancelled(order: OrderRecord, event: OrderCancelled) -> OrderRecord:
    return msgspec.structs.replace(
        order,
        venue=event.venue,
        status=next_status(order.status, "cancelled"),
        quantity=order.quantity or event.filled_quantity + event.remaining_quantity,
        filled_quantity=max(order.filled_quantity, event.filled_quantity),
    )

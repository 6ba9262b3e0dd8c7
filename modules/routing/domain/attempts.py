"""Route attempts: the ids of each hand-off of an order, and which rejections blame the venue.

Each hand-off of an order (the first, then one per re-route) is a route attempt with its own id
and client order id, derived from the order's id so any replica computes the same ones.
"""

from __future__ import annotations

import uuid

# Rejection codes that blame the venue, not the order: the order goes to the next best venue.
FAULT_CODES = frozenset(
    {
        "venue_unavailable",
        "venue_error",
        "venue_timeout",
        "timeout",
        "breaker_open",
        "rate_limited",
        "exchange_unavailable",
        "service_unavailable",
    }
)
_ATTEMPT_NAMESPACE = uuid.UUID("5b0f8a4e-6c1d-4f7e-9a51-2f3c7d9e1a00")


def attempt_id(order_id: uuid.UUID, attempt: int) -> uuid.UUID:
    """Execution's id for the order's n-th hand-off: the order id itself, then derived."""
    return order_id if attempt == 0 else uuid.uuid5(_ATTEMPT_NAMESPACE, f"{order_id}:{attempt}")


def client_order_id(aid: uuid.UUID) -> str:
    return f"nija-{aid.hex}"

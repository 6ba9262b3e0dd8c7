"""Ids derived from the facts they name, so any replica computes the same one.

A user's position on one venue and symbol has one id whoever folds the fill; events are named
in the same namespace (service/order_events.py).
"""

from __future__ import annotations

import uuid

EVENT_NAMESPACE = uuid.UUID("5b0f8a52-3c1e-4a8e-9b7d-6a1f2e4c9d10")


def position_id(user_id: str, venue: str, symbol: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"position:{user_id}:{venue}:{symbol}"))

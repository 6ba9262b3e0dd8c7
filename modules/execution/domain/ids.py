"""Ids derived from the facts they name, so any replica computes the same one.

An event recorded twice (a redelivery, a reconciliation after a crash) then carries the same id
and is deduped downstream instead of counted twice; a user's position on one venue and symbol
has one id whoever folds the fill.
"""

from __future__ import annotations

import uuid

EVENT_NAMESPACE = uuid.UUID("5b0f8a52-3c1e-4a8e-9b7d-6a1f2e4c9d10")


def event_id(*parts: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, ":".join(parts)))


def position_id(user_id: str, venue: str, symbol: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"position:{user_id}:{venue}:{symbol}"))

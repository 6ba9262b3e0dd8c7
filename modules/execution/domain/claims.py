"""What one claim on a venue's queue gave its workers."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Claimed(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    orders: list[T]
    cooling: dict[str, float]  # account -> seconds until it has a token again
    # Nothing else was queued when these were claimed: claiming again at once would find
    # nothing (an order queued since nudges the pool, one queued elsewhere waits for the poll).
    drained: bool = False

"""Execution's HTTP response shapes."""

from __future__ import annotations

from decimal import Decimal

import msgspec


class VenueView(msgspec.Struct, frozen=True, kw_only=True):
    """A venue a trader can connect: its listed symbols, fee rates (fractions) and latency."""

    name: str
    symbols: list[str]
    taker_fee: Decimal
    maker_fee: Decimal
    latency_ms: float

"""A position's current round trip (open to closed), folded from execution's `PositionChanged`.

Execution keeps one position per (user, venue, symbol) and its realised P&L accumulates over
every round trip. What a trader wants told when a position closes is the round trip's own P&L
and its share of what the round trip put in: the P&L realised since the fill that opened it
(that fill's fee included) over the largest cost it held.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Cycle(msgspec.Struct, frozen=True, kw_only=True):
    """A `position_cycles` row: the newest event's version and the open round trip, if any."""

    position_id: str
    user_id: str
    venue: str
    symbol: str
    version: int = 0
    open: bool = False
    realised_base: Decimal = Decimal(0)  # realised P&L before the round trip's first fill
    cost_basis: Decimal = Decimal(0)


class PositionMove(msgspec.Struct, frozen=True, kw_only=True):
    """What one `PositionChanged` says, as the fold needs it."""

    position_id: str
    user_id: str
    venue: str
    symbol: str
    quantity: Decimal
    average_entry: Decimal
    realised_pnl: Decimal
    realised_delta: Decimal
    version: int


class Closed(msgspec.Struct, frozen=True):
    pnl: Decimal
    cost_basis: Decimal


def fold(cycle: Cycle | None, move: PositionMove) -> tuple[Cycle, Closed | None]:
    """The cycle after `move`, and the round trip it closed (if it closed one).

    A move older than the newest one seen changes nothing (events may arrive out of order). A
    close whose opening was never seen counts from its own fill only.
    """
    current = cycle or Cycle(
        position_id=move.position_id, user_id=move.user_id, venue=move.venue, symbol=move.symbol
    )
    if cycle is not None and move.version <= cycle.version:
        return cycle, None
    held = abs(move.quantity) * move.average_entry
    if not current.open:
        base = move.realised_pnl - move.realised_delta
        current = msgspec.structs.replace(current, realised_base=base, cost_basis=Decimal(0))
    if move.quantity != 0:
        basis = max(current.cost_basis, held)
        return (
            msgspec.structs.replace(current, version=move.version, open=True, cost_basis=basis),
            None,
        )
    closed = Closed(move.realised_pnl - current.realised_base, current.cost_basis)
    ended = msgspec.structs.replace(
        current, version=move.version, open=False, realised_base=move.realised_pnl
    )
    return ended, closed

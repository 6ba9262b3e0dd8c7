"""Execution's read side: the caller's positions marked to market, and the venues on offer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from modules.execution.domain.positions import PositionState, status, unrealised
from modules.execution.ports import Venue
from modules.execution.schemas import PositionView, VenueView
from modules.kernel.db import Database
from modules.kernel.refusal import Kind, Refused

# The venue's latest book mid for a symbol (None before its first book).
Marks = Callable[[str, str], Decimal | None]


class ExecutionViews:
    def __init__(self, db: Database, venues: Mapping[str, Venue], marks: Marks) -> None:
        self._db = db
        self._venues = venues
        self._marks = marks

    async def positions(self, user_id: str) -> list[PositionView]:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "SELECT * FROM execution.positions WHERE user_id = $1 ORDER BY venue, symbol",
                user_id,
            )
        return [self._position(row) for row in rows]

    async def position(self, user_id: str, position_id: str) -> PositionView:
        """One of the caller's positions; another user's is as unknown as a made-up id."""
        async with self._db.connection() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM execution.positions WHERE position_id = $1 AND user_id = $2",
                position_id,
                user_id,
            )
        if row is None:
            raise Refused(Kind.NOT_FOUND, "position_not_found", "No such position")
        return self._position(row)

    def _position(self, row: Any) -> PositionView:
        state = PositionState(
            quantity=row["quantity"],
            average_entry=row["average_entry"],
            realised_pnl=row["realised_pnl"],
            fees=row["fees"],
            version=row["version"],
        )
        mid = self._marks(row["venue"], row["symbol"])
        return PositionView(
            position_id=row["position_id"],
            venue=row["venue"],
            symbol=row["symbol"],
            quantity=state.quantity,
            average_entry=state.average_entry,
            realised_pnl=state.realised_pnl,
            unrealised_pnl=unrealised(state, mid),
            fees=state.fees,
            mark_price=mid,
            status=status(state),
        )

    def venues(self) -> list[VenueView]:
        return [
            VenueView(
                name=venue.name,
                symbols=sorted(venue.symbols),
                taker_fee=venue.fees.taker,
                maker_fee=venue.fees.maker,
                latency_ms=venue.latency_ms,
            )
            for venue in self._venues.values()
        ]

"""A trader's open positions per venue, as routing folds them from fills."""

from __future__ import annotations

from typing import Any

from modules.kernel.auth import Principal
from modules.routing.schemas import PositionView
from modules.routing.tables import Position


class PositionViews:
    async def positions(self, principal: Principal) -> list[PositionView]:
        rows: list[dict[str, Any]] = (
            await Position.select()
            .where((Position.user_id == principal.user_id) & (Position.quantity != 0))
            .order_by(Position.symbol)
            .order_by(Position.venue)
        )
        return [position(row) for row in rows]


def position(row: dict[str, Any]) -> PositionView:
    return PositionView(
        id=str(row["id"]),
        venue=row["venue"],
        symbol=row["symbol"],
        quantity=row["quantity"],
        average_price=row["average_price"],
        realized_pnl=row["realized_pnl"],
        fees=row["fees"],
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
    )

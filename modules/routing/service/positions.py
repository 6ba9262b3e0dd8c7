"""Positions as routing keeps them: each fill folded in, with realised P&L per day.

Routing folds fills itself (domain/positions.py) because the risk gate needs realised P&L per
day; from execution it only learns the id users see for a position, so a close may name it.
"""

from __future__ import annotations

from datetime import UTC

from modules.execution.contracts import OrderFilled, PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.domain.positions import PositionState, fold_fill
from modules.routing.repository.positions import PositionRepository


class Positions:
    def __init__(self, repository: PositionRepository) -> None:
        self._repo = repository

    async def fold_fill(self, event: OrderFilled, uow: UnitOfWork) -> None:
        at = event.occurred_at
        current = await self._repo.lock_position(
            uow.conn, event.user_id, event.venue, event.symbol, at
        )
        state = PositionState(
            quantity=current["quantity"],
            average_price=current["average_price"],
            realized_pnl=current["realized_pnl"],
            fees=current["fees"],
        )
        folded = fold_fill(state, event.side, event.quantity, event.price, event.fee)
        await self._repo.save_position(
            uow.conn, current["id"], folded.state, state.quantity == 0, at
        )
        await self._repo.add_daily_pnl(
            uow.conn, event.user_id, at.astimezone(UTC).date(), folded.realized_delta
        )

    async def link(self, event: PositionChanged, uow: UnitOfWork) -> None:
        await self._repo.link_position(
            uow.conn,
            event.user_id,
            event.venue,
            event.symbol,
            event.position_id,
            event.occurred_at,
        )

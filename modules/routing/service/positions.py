"""Positions as routing reads them: a copy of execution's, kept from `PositionChanged`.

Execution owns positions and their P&L (one fold, one fee rule). Routing's risk gate needs the
quantity held per symbol, the number of open positions and today's realised P&L, and a close
needs the position's venue and quantity; each event brings all of that.
"""

from __future__ import annotations

from datetime import UTC

from modules.execution.contracts import PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.repository.positions import PositionChange, PositionRepository


class Positions:
    def __init__(self, repository: PositionRepository) -> None:
        self._repo = repository

    async def position_changed(self, event: PositionChanged, uow: UnitOfWork) -> None:
        at = event.occurred_at
        change = PositionChange(
            position_id=event.position_id,
            user_id=event.user_id,
            venue=event.venue,
            symbol=event.symbol,
            quantity=event.quantity,
            version=event.version,
            at=at,
            day=at.astimezone(UTC).date(),
            realised_delta=event.realised_delta,
        )
        await self._repo.apply_change(uow.conn, change)

"""Positions and equity as routing reads them: copies of execution's, kept from its events.

Execution owns positions and their P&L (one fold, one fee rule). Routing's risk gate needs the
quantity held per symbol, the number of open positions and today's realised P&L, and a close
needs the position's venue and quantity; each `PositionChanged` brings all of that. Position
sizing needs the user's equity, which each `BalanceChanged` brings per venue account.
"""

from __future__ import annotations

from datetime import UTC

from modules.execution.contracts import BalanceChanged, PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.repository.equity import EquityRepository
from modules.routing.repository.positions import PositionChange, PositionRepository


class Positions:
    def __init__(self, repository: PositionRepository, equity: EquityRepository) -> None:
        self._repo = repository
        self._equity = equity

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

    async def balance_changed(self, event: BalanceChanged, uow: UnitOfWork) -> None:
        await self._equity.apply(
            uow.conn,
            credential_id=event.credential_id,
            user_id=event.user_id,
            venue=event.venue,
            equity_usd=event.equity_usd,
            as_of=event.occurred_at,
        )

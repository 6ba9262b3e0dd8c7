"""Positions and equity as routing reads them: copies of execution's, kept from its events.

Execution owns positions and their P&L (one fold, one fee rule). Routing's risk gate needs the
quantity held per symbol, the number of open positions and today's realised P&L, and a close
needs the position's venue and quantity; each `PositionChanged` brings all of that. Position
sizing needs the user's equity, which each `BalanceChanged` brings per venue account. Both are
in the user's in-memory view too (service/user_views.py), folded once the copy has committed.
"""

from __future__ import annotations

from datetime import UTC

from modules.execution.contracts import BalanceChanged, PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.domain.user_view import EquityCopy, PositionCopy
from modules.routing.repository.equity import EquityRepository
from modules.routing.repository.positions import PositionChange, PositionRepository
from modules.routing.service.user_views import UserViews


class Positions:
    def __init__(
        self, repository: PositionRepository, equity: EquityRepository, views: UserViews
    ) -> None:
        self._repo = repository
        self._equity = equity
        self._views = views

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
        version = await self._repo.apply_change(uow.conn, change)
        copy = PositionCopy(event.symbol, event.quantity, event.version)
        uow.after_commit(
            lambda: self._views.position_changed(
                event.user_id, event.position_id, copy, change.day, event.realised_delta, version
            )
        )

    async def balance_changed(self, event: BalanceChanged, uow: UnitOfWork) -> None:
        version = await self._equity.apply(
            uow.conn,
            credential_id=event.credential_id,
            user_id=event.user_id,
            venue=event.venue,
            equity_usd=event.equity_usd,
            as_of=event.occurred_at,
        )
        copy = EquityCopy(event.equity_usd, event.occurred_at)
        uow.after_commit(
            lambda: self._views.equity_changed(event.user_id, event.credential_id, copy, version)
        )

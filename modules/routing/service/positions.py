"""Positions and equity as routing reads them: copies of execution's, kept from its events.

Execution owns positions and their P&L (one fold, one fee rule). Routing's risk gate needs the
quantity held per symbol, the number of open positions and today's realised P&L, and a close
needs the position's venue and quantity; each `PositionChanged` brings all of that. Position
sizing needs the user's equity, which each `BalanceChanged` brings per venue account. Both are
in the user's in-memory view too (service/user_views.py), folded once the copy has committed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from modules.execution.contracts import BalanceChanged, PositionChanged
from modules.kernel.outbox import UnitOfWork
from modules.routing.domain.user_view import EquityCopy, PositionCopy, PositionFold
from modules.routing.repository.equity import EquityRepository, EquitySnapshot
from modules.routing.repository.positions import PositionChange, PositionRepository
from modules.routing.service.user_views import UserViews


class Positions:
    def __init__(
        self, repository: PositionRepository, equity: EquityRepository, views: UserViews
    ) -> None:
        self._repo = repository
        self._equity = equity
        self._views = views

    async def positions_changed(self, events: list[PositionChanged], uow: UnitOfWork) -> None:
        """A batch's position changes in one statement; each user's view folds them all at the
        one version the statement gave the user."""
        changes = [_change(event) for event in events]
        versions = await self._repo.apply_changes(uow.conn, changes)
        by_user: dict[str, list[PositionFold]] = defaultdict(list)
        for event, change in zip(events, changes, strict=True):
            copy = PositionCopy(event.symbol, event.quantity, event.version)
            by_user[event.user_id].append(
                PositionFold(event.position_id, copy, change.day, event.realised_delta)
            )

        def fold() -> None:
            for user_id, folds in by_user.items():
                self._views.positions_changed(user_id, folds, versions[user_id])

        uow.after_commit(fold)

    async def balances_changed(self, events: list[BalanceChanged], uow: UnitOfWork) -> None:
        """A batch's balance reports in one statement, folded like positions."""
        snapshots = [
            EquitySnapshot(
                credential_id=event.credential_id,
                user_id=event.user_id,
                venue=event.venue,
                equity_usd=event.equity_usd,
                as_of=event.occurred_at,
            )
            for event in events
        ]
        versions = await self._equity.apply(uow.conn, snapshots)
        by_user: dict[str, list[tuple[str, EquityCopy]]] = defaultdict(list)
        for event in events:
            copy = EquityCopy(event.equity_usd, event.occurred_at)
            by_user[event.user_id].append((event.credential_id, copy))

        def fold() -> None:
            for user_id, copies in by_user.items():
                self._views.equity_changed(user_id, copies, versions[user_id])

        uow.after_commit(fold)


def _change(event: PositionChanged) -> PositionChange:
    at = event.occurred_at
    return PositionChange(
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

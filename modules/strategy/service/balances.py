"""Each venue account's equity, kept from execution's `BalanceChanged`: the bots size their
entries on the account they trade with, valued as execution valued it (dollars at par, other
assets at the venue's mid), the newest snapshot winning."""

from __future__ import annotations

from modules.execution.contracts import BalanceChanged
from modules.kernel.outbox import UnitOfWork
from modules.strategy.repository.balances import Balance, BalanceRepository


class Balances:
    def __init__(self, balances: BalanceRepository) -> None:
        self._balances = balances

    async def balances_changed(self, events: list[BalanceChanged], uow: UnitOfWork) -> None:
        await self._balances.apply(
            uow.conn,
            [
                Balance(
                    user_id=e.user_id,
                    venue=e.venue,
                    credential_id=e.credential_id,
                    equity_usd=e.equity_usd,
                    as_of=e.occurred_at,
                )
                for e in events
            ],
        )

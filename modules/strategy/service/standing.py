"""What halts trading pauses the bot and says why: a kill switch (the user's or everyone's),
a suspension, execution's pause of the user. Each is remembered as a hold, so the bot cannot be
started again until it is lifted; lifting it does not restart the bot (its owner does)."""

from __future__ import annotations

from modules.execution.contracts import UserTradingPaused, UserTradingResumed
from modules.identity.contracts import UserReinstated, UserSuspended
from modules.kernel.outbox import UnitOfWork
from modules.routing.contracts import KillSwitchChanged
from modules.strategy.repository.holds import GLOBAL, HoldRepository
from modules.strategy.service.status import BotStatus


class Standing:
    def __init__(self, holds: HoldRepository, status: BotStatus) -> None:
        self._holds = holds
        self._status = status

    async def kill_switch_changed(self, event: KillSwitchChanged, uow: UnitOfWork) -> None:
        subject = GLOBAL if event.scope == "global" else event.user_id
        if subject is None:
            return
        if not event.active:
            await self._holds.release(uow.conn, subject, "kill_switch")
            return
        reason = f"kill switch ({event.scope}, set by {event.set_by})"
        await self._holds.hold(uow.conn, subject, "kill_switch", reason)
        await self._status.pause_running(uow, None if subject == GLOBAL else subject, reason)

    async def user_suspended(self, event: UserSuspended, uow: UnitOfWork) -> None:
        reason = f"account suspended: {event.reason}"
        await self._holds.hold(uow.conn, event.user_id, "suspended", reason)
        await self._status.pause_running(uow, event.user_id, reason)

    async def user_reinstated(self, event: UserReinstated, uow: UnitOfWork) -> None:
        await self._holds.release(uow.conn, event.user_id, "suspended")

    async def trading_paused(self, event: UserTradingPaused, uow: UnitOfWork) -> None:
        reason = f"trading paused by execution: {event.reason}"
        await self._holds.hold(uow.conn, event.user_id, "trading_paused", reason)
        await self._status.pause_running(uow, event.user_id, reason)

    async def trading_resumed(self, event: UserTradingResumed, uow: UnitOfWork) -> None:
        await self._holds.release(uow.conn, event.user_id, "trading_paused")

"""Pausing and resuming a user's trading.

Execution pauses a user after `MAX_CONSECUTIVE_ERRORS` account errors in a row, or when their
venue account shows an order the platform never sent; an admin resumes them.
"""

from __future__ import annotations

import logging

from modules.execution.contracts import UserTradingPaused, UserTradingResumed
from modules.execution.domain.orders import should_pause
from modules.execution.repository.user_controls import UserControlRepository
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.execution")


class UserControls:
    def __init__(self, runtime: Runtime, repository: UserControlRepository) -> None:
        self._runtime = runtime
        self._repo = repository

    async def count_error_in(self, uow: UnitOfWork, user_id: str) -> None:
        if should_pause(await self._repo.count_error(uow.conn, user_id)):
            await self.pause_in(uow, user_id, "consecutive_errors")

    async def pause_in(self, uow: UnitOfWork, user_id: str, reason: str) -> None:
        if await self._repo.pause(uow.conn, user_id, reason):
            log.warning("trading paused", extra={"user_id": user_id, "reason": reason})
            uow.publish(UserTradingPaused(user_id=user_id, reason=reason))

    async def resume_user(self, user_id: str) -> bool:
        async with self._runtime.unit_of_work("execution") as uow:
            resumed = await self._repo.resume(uow.conn, user_id)
            if resumed:
                uow.publish(UserTradingResumed(user_id=user_id))
        return resumed

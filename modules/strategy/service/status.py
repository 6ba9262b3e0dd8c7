"""The bot's status changes, each published as `BotStatusChanged` in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.strategy.contracts import BotStatusChanged
from modules.strategy.repository.bots import BotRepository


class BotStatus:
    def __init__(self, runtime: Runtime, bots: BotRepository) -> None:
        self._runtime = runtime
        self._bots = bots
        self._running = runtime.metrics.gauge(
            "nija_bots_running",
            "Bots running, platform-wide, by mode (every replica reports the same count)",
            ["mode"],
        )
        for mode in ("paper", "live"):
            self._running.labels(mode).set(0)
        # Set by the plugin to the census worker's wake, so a start or pause shows at once.
        self.changed: Callable[[], None] = lambda: None

    async def census(self) -> None:
        """Count the running bots into `nija_bots_running{mode}`."""
        async with self._runtime.db.connection() as conn:
            counts = await self._bots.running_by_mode(conn)
        for mode in {"paper", "live", *counts}:
            self._running.labels(mode).set(counts.get(mode, 0))

    async def change(self, uow: UnitOfWork, user_id: str, status: str, reason: str | None) -> None:
        bot = await self._bots.bot(uow.conn, user_id, lock=True)
        if bot is None or (bot["status"] == status and bot["paused_reason"] == reason):
            return
        await self._bots.set_status(uow.conn, user_id, status, reason, self._runtime.clock())
        uow.after_commit(self.changed)
        uow.publish(
            BotStatusChanged(
                user_id=user_id,
                status=status,  # type: ignore[arg-type]
                previous=bot["status"],
                reason=reason,
            )
        )

    async def pause_running(self, uow: UnitOfWork, user_id: str | None, reason: str) -> None:
        """Pause the user's running bot (every running bot when None), saying why."""
        paused = await self._bots.pause_running(uow.conn, user_id, reason, self._runtime.clock())
        if paused:
            uow.after_commit(self.changed)
        for uid in paused:
            uow.publish(
                BotStatusChanged(user_id=uid, status="paused", previous="running", reason=reason)
            )

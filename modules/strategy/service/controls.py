"""The trader's controls of their bot: settings, start and pause."""

from __future__ import annotations

import msgspec

from modules.kernel.module import Runtime
from modules.strategy.config import StrategyConfig
from modules.strategy.domain.bot import Settings, check_may_start, needs_step_up
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.holds import HoldRepository
from modules.strategy.schemas import BotSettingsRequest
from modules.strategy.service.status import BotStatus


def default_settings(config: StrategyConfig) -> Settings:
    return msgspec.convert(config.default_settings(), Settings)


class BotControls:
    def __init__(
        self,
        runtime: Runtime,
        config: StrategyConfig,
        bots: BotRepository,
        holds: HoldRepository,
        status: BotStatus,
    ) -> None:
        self._runtime = runtime
        self._config = config
        self._bots = bots
        self._holds = holds
        self._status = status

    async def settings(self, user_id: str) -> Settings:
        async with self._runtime.db.connection() as conn:
            bot = await self._bots.bot(conn, user_id)
        if bot is None:
            return default_settings(self._config)
        fields = {f.name for f in msgspec.structs.fields(Settings)}
        return msgspec.convert({k: v for k, v in bot.items() if k in fields}, Settings)

    def _applied(self, current: Settings, request: BotSettingsRequest) -> Settings:
        changes = {
            field.name: getattr(request, field.name)
            for field in msgspec.structs.fields(BotSettingsRequest)
            if getattr(request, field.name) is not msgspec.UNSET
        }
        if "pairs" in changes:
            changes["pairs"] = [p.upper() for p in changes["pairs"]]
        return msgspec.structs.replace(current, **changes)

    async def needs_step_up(self, user_id: str, request: BotSettingsRequest) -> bool:
        current = await self.settings(user_id)
        return needs_step_up(current, self._applied(current, request))

    async def update_settings(self, user_id: str, request: BotSettingsRequest) -> None:
        new = self._applied(await self.settings(user_id), request)
        async with self._runtime.unit_of_work("strategy") as uow:
            await self._bots.save_settings(uow.conn, user_id, new, self._runtime.clock())

    async def start(self, user_id: str) -> None:
        async with self._runtime.unit_of_work("strategy") as uow:
            if await self._bots.bot(uow.conn, user_id) is None:
                settings = default_settings(self._config)
                await self._bots.save_settings(uow.conn, user_id, settings, self._runtime.clock())
            check_may_start(await self._holds.holds_on(uow.conn, user_id))
            await self._status.change(uow, user_id, "running", None)

    async def pause(self, user_id: str) -> None:
        async with self._runtime.unit_of_work("strategy") as uow:
            bot = await self._bots.bot(uow.conn, user_id)
            if bot is not None and bot["status"] == "running":
                await self._status.change(uow, user_id, "paused", "paused by you")

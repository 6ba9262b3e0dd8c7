"""The vault module as a Litestar plugin. Use cases: service.py; published events: contracts.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.vault.api import AdminAuditController, AuditController, CredentialsController
from modules.vault.handlers import subscriptions
from modules.vault.service import VaultService, rotate_when_due

log = logging.getLogger("nija.vault")


class VaultModule(NijaModule):
    name = "vault"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.service = VaultService(runtime, self.unit_of_work)
        self._rotation: asyncio.Task[None] | None = None

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [CredentialsController, AuditController, AdminAuditController]

    def dependencies(self) -> dict[str, Provide]:
        return {"vault_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)

    async def start(self) -> None:
        if self.runtime.settings.key_rotation_interval_seconds > 0:
            self._rotation = asyncio.create_task(self._rotate_on_schedule())

    async def stop(self) -> None:
        if self._rotation is not None:
            self._rotation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rotation

    async def rotate_keys(self) -> dict[str, int]:
        """`nija vault rotate-keys`: rotate the transit key and rewrap every data key."""
        return await self.service.rotate_transit_key(actor_id="cli")

    async def _rotate_on_schedule(self) -> None:
        interval = self.runtime.settings.key_rotation_interval_seconds
        # Check a few times per interval, so a restart does not push rotation a full period.
        period = max(min(interval / 4, 3600.0), 0.05)
        while True:
            try:
                await rotate_when_due(self.service, self.runtime)
            except Exception:  # a failed round is retried next period; the task must live
                log.exception("scheduled transit key rotation failed")
            await asyncio.sleep(period)


plugin = VaultModule

"""The vault module as a Litestar plugin: the wiring of its parts, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.vault.api import (
    AdminAuditController,
    AdminCredentialsController,
    AuditController,
    CredentialsController,
)
from modules.vault.handlers import subscriptions
from modules.vault.repository.audit_log import AuditLogRepository
from modules.vault.repository.credentials import CredentialRepository
from modules.vault.repository.key_rotation import RotationLock
from modules.vault.repository.user_keys import UserKeyRepository
from modules.vault.service.audit_trail import AuditTrail
from modules.vault.service.credentials import Credentials
from modules.vault.service.transit_keys import TransitKeys
from modules.vault.views import VaultViews
from modules.vault.workers.key_rotation import KeyRotationWorker


class VaultModule(NijaModule):
    name = "vault"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        user_keys, audit_log = UserKeyRepository(), AuditLogRepository()
        self.credentials = Credentials(
            runtime, self.unit_of_work, CredentialRepository(), user_keys, audit_log
        )
        self.transit_keys = TransitKeys(
            runtime, self.unit_of_work, user_keys, audit_log, RotationLock(runtime.db)
        )
        self.audit = AuditTrail(runtime, audit_log)
        self.views = VaultViews()
        interval = runtime.settings.key_rotation_interval_seconds
        self._rotation = (
            KeyRotationWorker(self.transit_keys, interval, runtime.metrics)
            if interval > 0
            else None
        )

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            CredentialsController,
            AuditController,
            AdminAuditController,
            AdminCredentialsController,
        ]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "vault_credentials": Provide(lambda: self.credentials, sync_to_thread=False),
            "vault_audit": Provide(lambda: self.audit, sync_to_thread=False),
            "vault_views": Provide(lambda: self.views, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.credentials, self.audit)

    async def start(self) -> None:
        if self._rotation is not None:
            self._rotation.start()

    async def stop(self) -> None:
        if self._rotation is not None:
            await self._rotation.stop()

    async def rotate_keys(self) -> dict[str, int]:
        """`nija vault rotate-keys`: rotate the transit key and rewrap every data key."""
        return await self.transit_keys.rotate(actor_id="cli")


plugin = VaultModule

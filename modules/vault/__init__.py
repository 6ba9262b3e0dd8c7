"""The vault module as a Litestar plugin. Use cases: service.py; published events: contracts.py."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.vault.api import CredentialsController
from modules.vault.handlers import subscriptions
from modules.vault.service import VaultService


class VaultModule(NijaModule):
    name = "vault"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.service = VaultService(runtime, self.unit_of_work)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [CredentialsController]

    def dependencies(self) -> dict[str, Provide]:
        return {"vault_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)


plugin = VaultModule

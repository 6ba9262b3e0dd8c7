"""The identity module as a Litestar plugin (use cases: service.py; events: contracts.py)."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.identity.api import AdminUsersController, AuthController, SettingsController
from modules.identity.handlers import subscriptions
from modules.identity.service import IdentityService
from modules.kernel.module import NijaModule, Runtime, Subscription


class IdentityModule(NijaModule):
    name = "identity"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.service = IdentityService(runtime, self.unit_of_work)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [AuthController, SettingsController, AdminUsersController]

    def dependencies(self) -> dict[str, Provide]:
        return {"identity_service": Provide(lambda: self.service, sync_to_thread=False)}

    def subscriptions(self) -> Sequence[Subscription]:
        return subscriptions(self.service)

    async def stop(self) -> None:
        self.service.close()

    async def create_admin(self, email: str, password: str) -> str:
        """Create an admin account, or promote an existing one; returns the user id.

        Used by `nija users create-admin`. Raises `ProblemError` for an invalid email or a
        password outside the policy.
        """
        return await self.service.create_admin(email, password)


plugin = IdentityModule

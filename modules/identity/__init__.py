"""The identity module as a Litestar plugin: the wiring of its parts, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.identity.adapters.argon2_hasher import PRODUCTION, TEST_ONLY, Argon2Hasher
from modules.identity.adapters.bundled_password_list import BundledPasswordList
from modules.identity.api import AdminUsersController, AuthController, SettingsController
from modules.identity.domain.password_policy import PasswordPolicy
from modules.identity.handlers import SUBSCRIPTIONS
from modules.identity.repository.identity import IdentityRepository
from modules.identity.service.devices import DeviceLogin
from modules.identity.service.identity import IdentityService
from modules.identity.service.login_throttle import LoginThrottle
from modules.identity.service.password_login import PasswordLogin
from modules.identity.service.profile import Profiles
from modules.identity.service.registration import Registration
from modules.identity.service.sessions import Sessions
from modules.identity.service.step_up import StepUp
from modules.identity.service.totp import TotpFactor
from modules.identity.service.user_admin import UserAdmin
from modules.identity.views import IdentityViews
from modules.kernel.module import NijaModule, Runtime, Subscription


class IdentityModule(NijaModule):
    name = "identity"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        uow = self.unit_of_work
        repo = IdentityRepository()
        cost = runtime.settings.password_hash_cost
        self._hasher = hasher = Argon2Hasher(parameters=TEST_ONLY if cost == "test" else PRODUCTION)
        policy = PasswordPolicy(BundledPasswordList().common_passwords())
        sessions = Sessions(runtime, uow, repo)
        throttle = LoginThrottle(runtime, uow, repo)
        password_login = PasswordLogin(
            runtime,
            uow,
            repo,
            passwords=hasher,
            policy=policy,
            throttle=throttle,
            sessions=sessions,
        )
        totp = TotpFactor(
            runtime,
            uow,
            repo,
            password_login=password_login,
            throttle=throttle,
            sessions=sessions,
        )
        devices = DeviceLogin(runtime, uow, repo, sessions=sessions)
        self.service = IdentityService(
            runtime,
            repo.users,
            registration=Registration(runtime, uow, repo, passwords=hasher, policy=policy),
            sessions=sessions,
            password_login=password_login,
            totp=totp,
            devices=devices,
            step_up=StepUp(runtime, uow, repo, totp=totp, devices=devices, sessions=sessions),
            profiles=Profiles(runtime, uow, repo),
            admin=UserAdmin(runtime, uow, repo),
        )
        self.views = IdentityViews(runtime)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [AuthController, SettingsController, AdminUsersController]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "identity_service": Provide(lambda: self.service, sync_to_thread=False),
            "identity_views": Provide(lambda: self.views, sync_to_thread=False),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return SUBSCRIPTIONS

    async def stop(self) -> None:
        self._hasher.close()

    async def create_admin(self, email: str, password: str) -> str:
        """`nija users create-admin`: create an admin account, or promote an existing one.

        Refuses (`Refused`) an invalid email or a password outside the policy.
        """
        return await self.service.create_admin(email, password)


plugin = IdentityModule

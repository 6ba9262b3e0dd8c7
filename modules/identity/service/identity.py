"""The identity module's one entry point for commands (the API's and the `nija` CLI's).

It turns the caller's token into a live account, then hands the work to the use case that owns
it. Security decisions kept in one place across those use cases:
- every refusal that could tell an attacker whether an email exists has one wording;
- single-use proofs (refresh tokens, challenges, TOTP steps, recovery codes) are spent by a
  conditional UPDATE inside the transaction, and a refusal is raised only AFTER the transaction
  commits, so a spent proof or a counted failure is never rolled back by the refusal itself.
What the API shows (accounts, sessions, devices, profiles) is read by views.py.
"""

from __future__ import annotations

import uuid

from modules.identity.contracts import Tier
from modules.identity.domain.accounts import account_gone, account_suspended, parse_uuid
from modules.identity.repository.devices import DeviceRow
from modules.identity.repository.users import UserRepository, UserRow
from modules.identity.service.devices import DeviceChallenge, DeviceLogin
from modules.identity.service.password_login import PasswordLogin, SecondFactorChallenge
from modules.identity.service.profile import Profiles
from modules.identity.service.registration import Registration
from modules.identity.service.sessions import ClientInfo, IssuedTokens, Sessions
from modules.identity.service.step_up import StepUp
from modules.identity.service.totp import TotpEnrolment, TotpFactor
from modules.identity.service.user_admin import UserAdmin
from modules.kernel.auth import Principal
from modules.kernel.module import Runtime
from modules.kernel.refusal import Kind, Refused


class IdentityService:
    def __init__(
        self,
        runtime: Runtime,
        users: UserRepository,
        *,
        registration: Registration,
        sessions: Sessions,
        password_login: PasswordLogin,
        totp: TotpFactor,
        devices: DeviceLogin,
        step_up: StepUp,
        profiles: Profiles,
        admin: UserAdmin,
    ) -> None:
        self._runtime = runtime
        self._users = users
        self._registration = registration
        self._sessions = sessions
        self._password_login = password_login
        self._totp = totp
        self._devices = devices
        self._step_up = step_up
        self._profiles = profiles
        self._admin = admin

    @property
    def token_ttl(self) -> int:
        return self._runtime.tokens.ttl_seconds

    async def active_user(self, principal: Principal) -> UserRow:
        """The caller's account, refused when it vanished or is suspended (tokens outlive both)."""
        user_id = parse_uuid(principal.user_id)
        user = await self._users.by_id(user_id) if user_id else None
        if user is None:
            raise account_gone()
        if user.suspended:
            raise account_suspended()
        return user

    # Accounts -------------------------------------------------------------------------------
    async def register(self, email: str, password: str) -> UserRow:
        return await self._registration.register(email, password)

    async def create_admin(self, email: str, password: str) -> str:
        return await self._registration.create_admin(email, password)

    async def update_profile(self, principal: Principal, changes: dict[str, str]) -> UserRow:
        user = await self.active_user(principal)
        await self._profiles.update(user, changes)
        return user

    # Password login and sessions ------------------------------------------------------------
    async def login(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedTokens | SecondFactorChallenge:
        return await self._password_login.login(email, password, client)

    async def refresh(self, refresh_token: str, client: ClientInfo) -> IssuedTokens:
        return await self._sessions.refresh(refresh_token, client)

    async def logout(self, refresh_token: str) -> None:
        await self._sessions.logout(refresh_token)

    async def revoke_session(self, principal: Principal, session_id: uuid.UUID) -> None:
        await self._sessions.revoke(await self.active_user(principal), session_id)

    async def sign_out_everywhere(self, principal: Principal) -> int:
        return await self._sessions.revoke_all(await self.active_user(principal))

    async def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = await self.active_user(principal)
        await self._password_login.change_password(user, current, new)

    # Second factor: TOTP --------------------------------------------------------------------
    async def begin_totp(self, principal: Principal) -> TotpEnrolment:
        return await self._totp.begin(await self.active_user(principal))

    async def confirm_totp(self, principal: Principal, code: str) -> list[str]:
        return await self._totp.confirm(await self.active_user(principal), code)

    async def disable_totp(self, principal: Principal, password: str, code: str) -> None:
        await self._totp.disable(await self.active_user(principal), password, code)

    async def login_second_factor(
        self, challenge_id: str, code: str, client: ClientInfo
    ) -> IssuedTokens:
        return await self._totp.login(challenge_id, code, client)

    # Second factor: device keys -------------------------------------------------------------
    async def register_device(self, principal: Principal, name: str, public_key: str) -> DeviceRow:
        return await self._devices.register(await self.active_user(principal), name, public_key)

    async def revoke_device(self, principal: Principal, device_id: uuid.UUID) -> None:
        await self._devices.revoke(await self.active_user(principal), device_id)

    async def device_challenge(self, device_id: str, client: ClientInfo) -> DeviceChallenge:
        return await self._devices.challenge(device_id, client)

    async def device_login(
        self, challenge_id: str, signature: str, client: ClientInfo
    ) -> IssuedTokens:
        return await self._devices.login(challenge_id, signature, client)

    async def step_up(
        self,
        principal: Principal,
        *,
        code: str | None,
        challenge_id: str | None,
        signature: str | None,
    ) -> str:
        user = await self.active_user(principal)
        return await self._step_up.prove(
            user,
            code=code,
            challenge_id=challenge_id,
            signature=signature,
            session_id=principal.session_id,
        )

    # Admin ----------------------------------------------------------------------------------
    async def suspend(self, admin: Principal, user_id: uuid.UUID, reason: str) -> None:
        await self._admin.suspend(await self.active_user(admin), user_id, reason)

    async def reinstate(self, admin: Principal, user_id: uuid.UUID) -> None:
        await self._admin.reinstate(await self.active_user(admin), user_id)

    async def change_tier(self, admin: Principal, user_id: uuid.UUID, tier: Tier) -> None:
        await self._admin.change_tier(await self.active_user(admin), user_id, tier)

    async def admin_revoke_session(
        self, admin: Principal, user_id: uuid.UUID, session_id: uuid.UUID
    ) -> None:
        """End one of a user's sessions (support: a lost phone), as the user could."""
        await self.active_user(admin)
        await self._sessions.revoke(await self._account(user_id), session_id)

    async def admin_revoke_device(
        self, admin: Principal, user_id: uuid.UUID, device_id: uuid.UUID
    ) -> None:
        """Revoke one of a user's sign-in devices, as the user could."""
        await self.active_user(admin)
        await self._devices.revoke(await self._account(user_id), device_id)

    async def _account(self, user_id: uuid.UUID) -> UserRow:
        user = await self._users.by_id(user_id)
        if user is None:
            raise Refused(Kind.NOT_FOUND, "user_not_found", "No such user")
        return user

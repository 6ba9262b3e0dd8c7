"""Identity use cases: accounts, logins (password, second factor, device), sessions, admin.

Security decisions kept in one place:
- every refusal that could tell an attacker whether an email exists has one wording;
- single-use proofs (refresh tokens, challenges, TOTP steps, recovery codes) are spent by a
  conditional UPDATE inside the transaction, and a failure is raised only AFTER the transaction
  commits, so a spent proof or a counted failure is never rolled back by the refusal itself.

`IdentityService` is the module's one entry point. It owns accounts and profiles itself, turns
the caller's token into a live account, and hands the rest to collaborators in adapters/:
`Sessions` (tokens, refresh families), `LoginThrottle` (brute-force limits), `PasswordLogin`,
`TotpFactor` (TOTP + recovery codes), `DeviceLogin` (P-256 device keys) and `UserAdmin`.
"""

from __future__ import annotations

import logging
import re
import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime

from modules.identity.adapters.common import (
    CONTROL,
    check_password_policy,
    normalise_email,
    parse_uuid,
    suspended,
)
from modules.identity.adapters.device_login import (
    DEVICE_CHALLENGE_TTL,
    DeviceChallenge,
    DeviceLogin,
)
from modules.identity.adapters.login_throttle import (
    ACCOUNT_FAILURE_LIMIT,
    IP_FAILURE_LIMIT,
    LOCKOUT_WINDOW,
    LoginThrottle,
)
from modules.identity.adapters.password_login import (
    CHALLENGE_TTL,
    PasswordLogin,
    SecondFactorChallenge,
)
from modules.identity.adapters.passwords import PasswordHashing
from modules.identity.adapters.sessions import ClientInfo, IssuedTokens, Sessions, digest_token
from modules.identity.adapters.totp import (
    CHALLENGE_MAX_ATTEMPTS,
    TOTP_KEY,
    TotpEnrolment,
    TotpFactor,
)
from modules.identity.adapters.user_admin import AdminView, UserAdmin
from modules.identity.contracts import Role, Tier, UserRegistered
from modules.identity.repository import DeviceRow, IdentityRepository, SessionRow, UserRow
from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

# What used to be defined here stays importable from here.
__all__ = [
    "ACCOUNT_FAILURE_LIMIT",
    "CHALLENGE_MAX_ATTEMPTS",
    "CHALLENGE_TTL",
    "DEVICE_CHALLENGE_TTL",
    "IP_FAILURE_LIMIT",
    "LOCKOUT_WINDOW",
    "TOTP_KEY",
    "AdminView",
    "ClientInfo",
    "DeviceChallenge",
    "IdentityService",
    "IssuedTokens",
    "SecondFactorChallenge",
    "TotpEnrolment",
    "check_password_policy",
    "digest_token",
    "normalise_email",
]

log = logging.getLogger("nija.identity")

_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")


class IdentityService:
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        *,
        passwords: PasswordHashing | None = None,
    ) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self._repo = repo = IdentityRepository()
        self._passwords = passwords or PasswordHashing()
        self._sessions = Sessions(runtime, unit_of_work, repo)
        throttle = LoginThrottle(runtime, unit_of_work, repo)
        self._password_login = PasswordLogin(
            runtime,
            unit_of_work,
            repo,
            passwords=self._passwords,
            throttle=throttle,
            sessions=self._sessions,
        )
        self._totp = TotpFactor(
            runtime,
            unit_of_work,
            repo,
            password_login=self._password_login,
            throttle=throttle,
            sessions=self._sessions,
        )
        self._devices = DeviceLogin(runtime, unit_of_work, repo, sessions=self._sessions)
        self._admin = UserAdmin(runtime, unit_of_work, repo)

    def close(self) -> None:
        self._passwords.close()

    def _now(self) -> datetime:
        return self._runtime.clock()

    @property
    def token_ttl(self) -> int:
        return self._runtime.tokens.ttl_seconds

    # Accounts -------------------------------------------------------------------------------
    async def register(self, email: str, password: str) -> UserRow:
        email = normalise_email(email)
        check_password_policy(password)
        return await self._create_user(email, password, role="trader")

    async def _create_user(self, email: str, password: str, *, role: Role) -> UserRow:
        mask = register_secret(password)
        password_hash = await self._passwords.hash(password)
        async with self._uow() as uow:
            user = await self._repo.insert_user(
                email=email, password_hash=password_hash, role=role, tier="basic", now=self._now()
            )
            if user is None:
                raise ProblemError(409, "email_taken", "An account with this email already exists")
            uow.publish(UserRegistered(user_id=str(user.id), role=user.role, tier=user.tier))
        del mask
        log.info("user registered", extra={"user_id": str(user.id), "role": user.role})
        return user

    async def active_user(self, principal: Principal) -> UserRow:
        """The caller's account, refused when it vanished or is suspended (tokens outlive both)."""
        user_id = parse_uuid(principal.user_id)
        user = await self._repo.by_id(user_id) if user_id else None
        if user is None:
            raise ProblemError(401, "invalid_token", "The access token's account no longer exists")
        if user.suspended:
            raise suspended()
        return user

    async def me(self, principal: Principal) -> UserRow:
        return await self.active_user(principal)

    async def access_token(self, user: UserRow, proved_at: datetime | None) -> str:
        return await self._sessions.access_token(user, proved_at)

    # Password login and sessions ------------------------------------------------------------
    async def login(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedTokens | SecondFactorChallenge:
        return await self._password_login.login(email, password, client)

    async def refresh(self, refresh_token: str, client: ClientInfo) -> IssuedTokens:
        return await self._sessions.refresh(refresh_token, client)

    async def logout(self, refresh_token: str) -> None:
        await self._sessions.logout(refresh_token)

    async def sessions(self, principal: Principal) -> list[SessionRow]:
        return await self._sessions.live(await self.active_user(principal))

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

    async def devices(self, principal: Principal) -> list[DeviceRow]:
        return await self._devices.registered(await self.active_user(principal))

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
        """A fresh access token stamped with a second-factor proof made just now."""
        user = await self.active_user(principal)
        if code is None and (challenge_id is None or signature is None):
            raise ProblemError(
                422, "second_factor_missing", "Send a TOTP code or a device challenge signature"
            )
        async with self._uow():
            if code is not None:
                ok = await self._totp.check_code(user, code, allow_recovery=False)
            else:
                assert challenge_id is not None and signature is not None
                ok = await self._devices.spend_proof(challenge_id, signature, user.id) is not None
        if not ok:
            raise ProblemError(403, "invalid_second_factor", "The second-factor proof failed")
        return await self.access_token(user, self._now())

    # Profile --------------------------------------------------------------------------------
    async def profile(self, principal: Principal) -> tuple[UserRow, int]:
        user = await self.active_user(principal)
        return user, len(await self._repo.second_factor.devices(user.id))

    async def update_profile(
        self, principal: Principal, changes: dict[str, str]
    ) -> tuple[UserRow, int]:
        user = await self.active_user(principal)
        values: dict[str, str] = {}
        if "display_name" in changes:
            values["display_name"] = CONTROL.sub("", changes["display_name"]).strip()
        if "timezone" in changes:
            values["timezone"] = _valid_timezone(changes["timezone"])
        if "locale" in changes:
            if not _LOCALE.fullmatch(changes["locale"]):
                raise ProblemError(422, "invalid_locale", "Use a language tag such as en-GB")
            values["locale"] = changes["locale"]
        if values:
            async with self._uow():
                updated = await self._repo.update_profile(user.id, values, self._now())
            user = updated or user
        return user, len(await self._repo.second_factor.devices(user.id))

    # Admin ----------------------------------------------------------------------------------
    async def list_users(
        self,
        admin: Principal,
        *,
        query: str | None,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[UserRow], int]:
        await self.active_user(admin)
        return await self._admin.search(query=query, status=status, limit=limit, offset=offset)

    async def admin_view(self, admin: Principal, user_id: uuid.UUID) -> AdminView:
        await self.active_user(admin)
        return await self._admin.view(user_id)

    async def suspend(self, admin: Principal, user_id: uuid.UUID, reason: str) -> AdminView:
        return await self._admin.suspend(await self.active_user(admin), user_id, reason)

    async def reinstate(self, admin: Principal, user_id: uuid.UUID) -> AdminView:
        await self.active_user(admin)
        return await self._admin.reinstate(user_id)

    async def change_tier(self, admin: Principal, user_id: uuid.UUID, tier: Tier) -> AdminView:
        await self.active_user(admin)
        return await self._admin.change_tier(user_id, tier)

    async def create_admin(self, email: str, password: str) -> str:
        """Create an admin, or promote the existing account (its password is left unchanged)."""
        email = normalise_email(email)
        check_password_policy(password)
        async with self._uow():
            promoted = await self._repo.promote_to_admin(email, self._now())
        if promoted is not None:
            log.info("user promoted to admin", extra={"user_id": str(promoted.id)})
            return str(promoted.id)
        try:
            user = await self._create_user(email, password, role="admin")
        except ProblemError as error:
            if error.code != "email_taken":
                raise
            # Registered between our promote and insert: promote that account instead.
            return await self.create_admin(email, password)
        return str(user.id)


def _valid_timezone(name: str) -> str:
    if CONTROL.search(name):
        raise ProblemError(422, "invalid_timezone", "Use an IANA time zone such as Europe/Paris")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ProblemError(
            422, "invalid_timezone", "Use an IANA time zone such as Europe/Paris"
        ) from None
    return name

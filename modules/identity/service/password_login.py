"""Password sign-in (the first step when a TOTP is on), re-authentication, password change."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import msgspec

from modules.identity.config import CHALLENGE_TTL
from modules.identity.domain.accounts import account_suspended, invalid_credentials
from modules.identity.domain.email import login_address
from modules.identity.domain.password_policy import PasswordPolicy
from modules.identity.ports import PasswordHasher
from modules.identity.repository.challenges import ChallengeRow
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.login_throttle import LoginThrottle
from modules.identity.service.part import IdentityPart, security_event
from modules.identity.service.sessions import ClientInfo, IssuedTokens, Sessions
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused


class SecondFactorChallenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: str
    expires_in: int
    methods: list[str]


class PasswordLogin(IdentityPart):
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
        *,
        passwords: PasswordHasher,
        policy: PasswordPolicy,
        throttle: LoginThrottle,
        sessions: Sessions,
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        self._passwords = passwords
        self._policy = policy
        self._throttle = throttle
        self._sessions = sessions
        self._logins = runtime.metrics.counter(
            "nija_identity_logins_total", "Login attempts by outcome", ["outcome"]
        )

    async def login(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedTokens | SecondFactorChallenge:
        mask = register_secret(password)
        address = login_address(email)
        await self._throttle.check(address, client.ip)
        found = await self._repo.users.credentials_by_email(address)
        ok = await self._passwords.verify(found.password_hash if found else None, password)
        if found is None or not ok:
            self._logins.labels("failure").inc()
            await self._throttle.record_failure(address, client.ip, found.user if found else None)
            raise invalid_credentials()
        if self._passwords.needs_rehash(found.password_hash):
            new_hash = await self._passwords.hash(password)
            await self._repo.users.set_password_hash(found.user.id, new_hash, self._now())
        del mask
        if found.user.suspended:
            self._logins.labels("suspended").inc()
            raise account_suspended()
        self._logins.labels("success").inc()
        now = self._now()
        async with self._uow():
            if found.user.totp_enabled_at is None:
                await self._throttle.clear(address)
                return await self._sessions.start(found.user, "password", None, client)
            # The count is cleared only once the second factor is proved too: otherwise each
            # correct password would buy a fresh round of guesses at the 6-digit code.
            return await self._second_factor_challenge(found.user, client, now)

    async def _second_factor_challenge(
        self, user: UserRow, client: ClientInfo, now: datetime
    ) -> SecondFactorChallenge:
        """Record the half-done sign-in the TOTP step completes (call inside a unit of work)."""
        challenge = ChallengeRow(
            id=uuid.uuid4(),
            user_id=user.id,
            purpose="second_factor",
            device_id=None,
            nonce="",
            expires_at=now + CHALLENGE_TTL,
            used_at=None,
            attempts=0,
            user_agent=client.user_agent,
            ip=client.ip,
        )
        await self._repo.challenges.add(challenge, now)
        return SecondFactorChallenge(
            challenge_id=str(challenge.id),
            expires_in=int(CHALLENGE_TTL.total_seconds()),
            methods=["totp", "recovery_code"],
        )

    async def reauthenticate(self, user: UserRow, password: str) -> None:
        """Check the account password again for a sensitive change, under the login limits."""
        mask = register_secret(password)
        await self._throttle.check(user.email, "")
        password_hash = await self._repo.users.password_hash(user.id)
        if not await self._passwords.verify(password_hash, password):
            await self._throttle.record_failure(user.email, "", user)
            raise Refused(Kind.FORBIDDEN, "reauthentication_failed", "The password is not correct")
        del mask

    async def change_password(self, user: UserRow, current: str, new: str) -> None:
        mask = register_secret(new)
        await self.reauthenticate(user, current)
        self._policy.check(new)
        if new == current:
            raise Refused(Kind.INVALID, "password_unchanged", "Choose a password you have not used")
        new_hash = await self._passwords.hash(new)
        now = self._now()
        # Access tokens first: a failure below leaves them dead and the password unchanged.
        await self._runtime.revocations.revoke_user(str(user.id))
        async with self._uow() as uow:
            await self._repo.users.set_password_hash(user.id, new_hash, now)
            # Whoever knew the old password may hold a session: end them all.
            await self._repo.sessions.revoke(user.id, reason="password_changed", now=now)
            security_event(uow, user.id, "password_changed")
        del mask

"""TOTP as a second factor: enrolment, recovery codes, disabling it, and the sign-in step.

The TOTP seed is sealed with the transit keyring, bound to the user id, because the server must
read it back to check codes and so cannot hash it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import msgspec

from modules.identity.adapters import second_factor as sf
from modules.identity.adapters.common import IdentityPart, parse_uuid, security_event, suspended
from modules.identity.adapters.login_throttle import LoginThrottle
from modules.identity.adapters.password_login import PasswordLogin
from modules.identity.adapters.rows import UserRow
from modules.identity.adapters.sessions import ClientInfo, IssuedTokens, Sessions
from modules.identity.repository import IdentityRepository
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

CHALLENGE_MAX_ATTEMPTS = 5
TOTP_KEY = "identity-totp"


class TotpEnrolment(msgspec.Struct, frozen=True, kw_only=True):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TotpFactor(IdentityPart):
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
        *,
        password_login: PasswordLogin,
        throttle: LoginThrottle,
        sessions: Sessions,
    ) -> None:
        super().__init__(runtime, unit_of_work, repo)
        self._queries = repo.second_factor
        self._password_login = password_login
        self._throttle = throttle
        self._sessions = sessions

    def _seal(self, user_id: uuid.UUID, secret: str) -> str:
        return self._runtime.keyring.encrypt(TOTP_KEY, secret.encode(), context=user_id.bytes)

    def _unseal(self, user_id: uuid.UUID, sealed: str) -> str:
        return self._runtime.keyring.decrypt(TOTP_KEY, sealed, context=user_id.bytes).decode()

    async def begin(self, user: UserRow) -> TotpEnrolment:
        if user.totp_enabled_at is not None:
            raise ProblemError(409, "two_factor_enabled", "Two-factor sign-in is already on")
        secret = sf.new_totp_secret()
        async with self._uow():
            await self._queries.set_pending_totp(user.id, self._seal(user.id, secret))
        uri = sf.provisioning_uri(secret, user.email)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=sf.qr_svg(uri))

    async def confirm(self, user: UserRow, code: str) -> list[str]:
        active, pending = await self._queries.totp_secrets(user.id)
        if active is not None:
            raise ProblemError(409, "two_factor_enabled", "Two-factor sign-in is already on")
        if pending is None:
            raise ProblemError(409, "no_enrolment", "Start the enrolment first")
        step = sf.totp_step(self._unseal(user.id, pending), code)
        if step is None:
            raise ProblemError(422, "invalid_code", "The code is not correct; check the clock")
        codes = sf.new_recovery_codes()
        now = self._now()
        async with self._uow() as uow:
            if not await self._queries.enable_totp(user.id, pending, step, now):
                raise ProblemError(409, "no_enrolment", "The enrolment changed; start again")
            await self._queries.replace_recovery_codes(
                user.id, [sf.recovery_digest(c) for c in codes], now
            )
            security_event(uow, user.id, "two_factor_enabled")
        return codes

    async def disable(self, user: UserRow, password: str, code: str) -> None:
        if user.totp_enabled_at is None:
            raise ProblemError(409, "two_factor_disabled", "Two-factor sign-in is not on")
        await self._password_login.reauthenticate(user, password)
        async with self._uow():
            ok = await self.check_code(user, code, allow_recovery=True)
        if not ok:
            raise ProblemError(403, "invalid_second_factor", "The code is not correct")
        async with self._uow() as uow:
            await self._queries.disable_totp(user.id, self._now())
            security_event(uow, user.id, "two_factor_disabled")

    async def check_code(self, user: UserRow, code: str, *, allow_recovery: bool) -> bool:
        """Spend a TOTP step or a recovery code (call inside a unit of work)."""
        sealed, _ = await self._queries.totp_secrets(user.id)
        if sealed is None:
            return False
        step = sf.totp_step(self._unseal(user.id, sealed), code)
        if step is not None:
            return await self._queries.spend_totp_step(user.id, step)
        if allow_recovery and len(code) <= 32:
            digest = sf.recovery_digest(code)
            return await self._queries.spend_recovery_code(user.id, digest, self._now())
        return False

    async def login(self, challenge_id: str, code: str, client: ClientInfo) -> IssuedTokens:
        """Finish a password sign-in with a TOTP or recovery code for its challenge."""
        cid = parse_uuid(challenge_id)
        now = self._now()
        tokens: IssuedTokens | None = None
        is_suspended = missed = False
        async with self._uow():
            challenge = (
                await self._queries.live_challenge(cid, "second_factor", now) if cid else None
            )
            user = await self._repo.by_id(challenge.user_id) if challenge else None
            if challenge is not None and user is not None:
                if not await self.check_code(user, code, allow_recovery=True):
                    missed = True
                    await self._queries.count_challenge_miss(
                        challenge.id, max_attempts=CHALLENGE_MAX_ATTEMPTS, now=now
                    )
                elif await self._queries.spend_challenge(challenge.id, now):
                    if user.suspended:
                        is_suspended = True
                    else:
                        await self._repo.clear_failures(user.email)
                        tokens = await self._sessions.start(user, "second_factor", now, client)
        if tokens is not None:
            return tokens
        if is_suspended:
            raise suspended()
        if missed and user is not None:
            # A wrong code counts like a wrong password: guessing codes locks the account too.
            await self._throttle.record_failure(user.email, client.ip, user)
        raise ProblemError(
            401,
            "invalid_second_factor",
            "The code is not correct or the sign-in attempt expired",
        )

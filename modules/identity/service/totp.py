"""TOTP as a second factor: enrolment, recovery codes, disabling it, and the sign-in step.

The TOTP seed is sealed with the transit keyring, bound to the user id (see config.TOTP_KEY).
"""

from __future__ import annotations

import io
import secrets
import time
import uuid
from collections.abc import Callable

import msgspec
import pyotp
import qrcode
import qrcode.image.svg

from modules.identity.config import CHALLENGE_MAX_ATTEMPTS, TOTP_KEY
from modules.identity.domain.accounts import account_suspended, parse_uuid
from modules.identity.domain.totp import (
    RECOVERY_ALPHABET,
    RECOVERY_CODE_COUNT,
    RECOVERY_CODE_LENGTH,
    provisioning_uri,
    recovery_code,
    recovery_digest,
    totp_step,
)
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.identity.service.login_throttle import LoginThrottle
from modules.identity.service.part import IdentityPart, security_event
from modules.identity.service.password_login import PasswordLogin
from modules.identity.service.sessions import ClientInfo, IssuedTokens, Sessions
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork
from modules.kernel.refusal import Kind, Refused


class TotpEnrolment(msgspec.Struct, frozen=True, kw_only=True):
    secret: str
    otpauth_uri: str
    qr_svg: str


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def _new_recovery_codes() -> list[str]:
    def one() -> str:
        return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))

    return [recovery_code(one()) for _ in range(RECOVERY_CODE_COUNT)]


def _enabled() -> Refused:
    return Refused(Kind.CONFLICT, "two_factor_enabled", "Two-factor sign-in is already on")


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
        self._password_login = password_login
        self._throttle = throttle
        self._sessions = sessions

    def _seal(self, user_id: uuid.UUID, secret: str) -> str:
        return self._runtime.keyring.encrypt(TOTP_KEY, secret.encode(), context=user_id.bytes)

    def _unseal(self, user_id: uuid.UUID, sealed: str) -> str:
        return self._runtime.keyring.decrypt(TOTP_KEY, sealed, context=user_id.bytes).decode()

    async def begin(self, user: UserRow) -> TotpEnrolment:
        if user.totp_enabled_at is not None:
            raise _enabled()
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        async with self._uow():
            await self._repo.totp.set_pending(user.id, self._seal(user.id, secret))
        uri = provisioning_uri(secret, user.email)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=_qr_svg(uri))

    async def confirm(self, user: UserRow, code: str) -> list[str]:
        active, pending = await self._repo.totp.secrets(user.id)
        if active is not None:
            raise _enabled()
        if pending is None:
            raise Refused(Kind.CONFLICT, "no_enrolment", "Start the enrolment first")
        step = totp_step(self._unseal(user.id, pending), code, at=time.time())
        if step is None:
            raise Refused(Kind.INVALID, "invalid_code", "The code is not correct; check the clock")
        codes = _new_recovery_codes()
        now = self._now()
        async with self._uow() as uow:
            if not await self._repo.totp.enable(user.id, pending, step, now):
                raise Refused(Kind.CONFLICT, "no_enrolment", "The enrolment changed; start again")
            await self._repo.totp.replace_recovery_codes(
                user.id, [recovery_digest(c) for c in codes], now
            )
            security_event(uow, user.id, "two_factor_enabled")
        return codes

    async def disable(self, user: UserRow, password: str, code: str) -> None:
        if user.totp_enabled_at is None:
            raise Refused(Kind.CONFLICT, "two_factor_disabled", "Two-factor sign-in is not on")
        await self._password_login.reauthenticate(user, password)
        async with self._uow():
            ok = await self.check_code(user, code, allow_recovery=True)
        if not ok:
            raise Refused(Kind.FORBIDDEN, "invalid_second_factor", "The code is not correct")
        async with self._uow() as uow:
            await self._repo.totp.disable(user.id, self._now())
            security_event(uow, user.id, "two_factor_disabled")

    async def check_code(self, user: UserRow, code: str, *, allow_recovery: bool) -> bool:
        """Spend a TOTP step or a recovery code (call inside a unit of work)."""
        sealed, _ = await self._repo.totp.secrets(user.id)
        if sealed is None:
            return False
        step = totp_step(self._unseal(user.id, sealed), code, at=time.time())
        if step is not None:
            return await self._repo.totp.spend_step(user.id, step)
        if allow_recovery and len(code) <= 32:
            digest = recovery_digest(code)
            return await self._repo.totp.spend_recovery_code(user.id, digest, self._now())
        return False

    async def login(self, challenge_id: str, code: str, client: ClientInfo) -> IssuedTokens:
        """Finish a password sign-in with a TOTP or recovery code for its challenge."""
        cid = parse_uuid(challenge_id)
        now = self._now()
        tokens: IssuedTokens | None = None
        is_suspended = missed = False
        challenges = self._repo.challenges
        async with self._uow():
            challenge = await challenges.live(cid, "second_factor", now) if cid else None
            user = await self._repo.users.by_id(challenge.user_id) if challenge else None
            if challenge is not None and user is not None:
                if not await self.check_code(user, code, allow_recovery=True):
                    missed = True
                    await challenges.count_miss(
                        challenge.id, max_attempts=CHALLENGE_MAX_ATTEMPTS, now=now
                    )
                elif await challenges.spend(challenge.id, now):
                    if user.suspended:
                        is_suspended = True
                    else:
                        await self._throttle.clear(user.email)
                        tokens = await self._sessions.start(user, "second_factor", now, client)
        if tokens is not None:
            return tokens
        if is_suspended:
            raise account_suspended()
        if missed and user is not None:
            # A wrong code counts like a wrong password: guessing codes locks the account too.
            await self._throttle.record_failure(user.email, client.ip, user)
        raise Refused(
            Kind.UNAUTHENTICATED,
            "invalid_second_factor",
            "The code is not correct or the sign-in attempt expired",
        )

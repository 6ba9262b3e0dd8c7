"""Identity use cases: register, log in, rotate refresh tokens, read users, create admins."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta

import msgspec

from modules.identity.adapters.passwords import PasswordHashing
from modules.identity.contracts import Role, UserRegistered
from modules.identity.repository import IdentityRepository, UserRow
from modules.identity.schemas import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from modules.kernel.auth import Principal
from modules.kernel.errors import ProblemError
from modules.kernel.logs import register_secret
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.identity")

# The WHATWG (HTML `type=email`) address grammar, with at least one dot in the domain.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_MAX_EMAIL_LENGTH = 254


class IssuedTokens(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > _MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ProblemError(422, "invalid_email", "The email address is not valid")
    return email


def check_password_policy(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ProblemError(
            422,
            "weak_password",
            f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long",
        )


def _invalid_credentials() -> ProblemError:
    # One wording for unknown email and wrong password, so the answer reveals neither.
    return ProblemError(401, "invalid_credentials", "The email address or password is not correct")


def digest_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _parse_user_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ProblemError(401, "invalid_token", "The access token is not valid") from None


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
        self._repo = IdentityRepository()
        self._passwords = passwords or PasswordHashing()
        self._logins = runtime.metrics.counter(
            "nija_identity_logins_total", "Login attempts by outcome", ["outcome"]
        )

    def close(self) -> None:
        self._passwords.close()

    async def register(self, email: str, password: str) -> UserRow:
        return await self._create_user(normalise_email(email), password, role="trader")

    async def _create_user(self, email: str, password: str, *, role: Role) -> UserRow:
        mask = register_secret(password)
        password_hash = await self._passwords.hash(password)
        async with self._uow() as uow:
            user = await self._repo.insert_user(
                email=email,
                password_hash=password_hash,
                role=role,
                tier="basic",
                now=self._runtime.clock(),
            )
            if user is None:
                raise ProblemError(409, "email_taken", "An account with this email already exists")
            uow.publish(UserRegistered(user_id=str(user.id), role=user.role, tier=user.tier))
        del mask
        log.info("user registered", extra={"user_id": str(user.id), "role": user.role})
        return user

    async def login(self, email: str, password: str) -> IssuedTokens:
        mask = register_secret(password)
        # No format check here: a malformed address is just another unknown account.
        found = await self._repo.credentials_by_email(email.strip().lower())
        ok = await self._passwords.verify(found.password_hash if found else None, password)
        if found is None or not ok:
            self._logins.labels("failure").inc()
            raise _invalid_credentials()
        if self._passwords.needs_rehash(found.password_hash):
            new_hash = await self._passwords.hash(password)
            await self._repo.set_password_hash(found.user.id, new_hash, self._runtime.clock())
        del mask
        self._logins.labels("success").inc()
        async with self._uow():
            return await self._issue(found.user)

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        """Rotate: the presented token is spent and a new pair is issued.

        Presenting an already-spent token means it was copied (OAuth 2.0 Security BCP, refresh
        token reuse): every live refresh token of that user is revoked, ending all sessions.
        """
        token_hash = digest_token(refresh_token)
        now = self._runtime.clock()
        async with self._uow():
            owner = await self._repo.consume_refresh_token(token_hash, now)
            user = await self._repo.by_id(owner) if owner is not None else None
            if user is not None:
                return await self._issue(user)
            reused_by = await self._repo.owner_of_revoked(token_hash)
            if reused_by is not None:
                await self._repo.revoke_all_refresh_tokens(reused_by, now)
        if reused_by is not None:
            log.warning("spent refresh token presented again", extra={"user_id": str(reused_by)})
        raise ProblemError(401, "invalid_refresh_token", "The refresh token is not valid")

    async def _issue(self, user: UserRow) -> IssuedTokens:
        """Mint an access token and store a new refresh token (call inside a unit of work)."""
        tokens = self._runtime.tokens
        access = tokens.issue(Principal(user_id=str(user.id), role=user.role, tier=user.tier))
        refresh = secrets.token_urlsafe(32)  # 256 bits
        now = self._runtime.clock()
        ttl = timedelta(seconds=self._runtime.settings.refresh_token_ttl_seconds)
        await self._repo.add_refresh_token(
            user_id=user.id, token_hash=digest_token(refresh), now=now, expires_at=now + ttl
        )
        return IssuedTokens(
            access_token=access, refresh_token=refresh, expires_in=tokens.ttl_seconds
        )

    async def me(self, principal: Principal) -> UserRow:
        user = await self._repo.by_id(_parse_user_id(principal.user_id))
        if user is None:
            raise ProblemError(401, "invalid_token", "The access token's account no longer exists")
        return user

    async def list_users(self, *, limit: int, offset: int) -> tuple[list[UserRow], int]:
        return await self._repo.page(limit=limit, offset=offset)

    async def create_admin(self, email: str, password: str) -> str:
        """Create an admin, or promote the existing account (its password is left unchanged)."""
        email = normalise_email(email)
        check_password_policy(password)
        async with self._uow():
            promoted = await self._repo.promote_to_admin(email, self._runtime.clock())
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

"""Identity use cases: accounts, logins (password, second factor, device), sessions, admin.

Security decisions kept in one place:
- every refusal that could tell an attacker whether an email exists has one wording;
- single-use proofs (refresh tokens, challenges, TOTP steps, recovery codes) are spent by a
  conditional UPDATE inside the transaction, and a failure is raised only AFTER the transaction
  commits, so a spent proof or a counted failure is never rolled back by the refusal itself.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
import uuid
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from modules.identity.adapters import second_factor as sf
from modules.identity.adapters.password_policy import policy_violation
from modules.identity.adapters.passwords import PasswordHashing
from modules.identity.contracts import (
    Role,
    SecurityEventKind,
    SecurityEventRaised,
    Tier,
    UserRegistered,
    UserReinstated,
    UserSuspended,
    UserTierChanged,
)
from modules.identity.repository import (
    ChallengeRow,
    DeviceRow,
    IdentityRepository,
    SessionRow,
    UserRow,
)
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
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_EMAIL_LENGTH = 254

LOCKOUT_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURE_LIMIT = 5
IP_FAILURE_LIMIT = 20
CHALLENGE_TTL = timedelta(minutes=5)
DEVICE_CHALLENGE_TTL = timedelta(minutes=2)
CHALLENGE_MAX_ATTEMPTS = 5
TOTP_KEY = "identity-totp"


class IssuedTokens(msgspec.Struct, frozen=True, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int


class SecondFactorChallenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: str
    expires_in: int
    methods: list[str]


class DeviceChallenge(msgspec.Struct, frozen=True, kw_only=True):
    challenge_id: str
    challenge: str
    expires_in: int


class ClientInfo(msgspec.Struct, frozen=True, kw_only=True):
    ip: str = ""
    user_agent: str = ""


class TotpEnrolment(msgspec.Struct, frozen=True, kw_only=True):
    secret: str
    otpauth_uri: str
    qr_svg: str


class AdminView(msgspec.Struct, frozen=True, kw_only=True):
    user: UserRow
    active_sessions: int
    devices: int


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > _MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ProblemError(422, "invalid_email", "The email address is not valid")
    return email


def check_password_policy(password: str) -> None:
    reason = policy_violation(password)
    if reason is not None:
        raise ProblemError(422, "weak_password", reason)


def _invalid_credentials() -> ProblemError:
    # One wording for unknown email and wrong password, so the answer reveals neither.
    return ProblemError(401, "invalid_credentials", "The email address or password is not correct")


def _suspended() -> ProblemError:
    return ProblemError(403, "user_suspended", "This account is suspended; contact support")


def digest_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError):
        return None


def _retry_after(oldest_counted: datetime, now: datetime) -> str:
    seconds = (oldest_counted + LOCKOUT_WINDOW - now).total_seconds()
    return str(max(1, math.ceil(seconds)))


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
        user_id = _uuid(principal.user_id)
        user = await self._repo.by_id(user_id) if user_id else None
        if user is None:
            raise ProblemError(401, "invalid_token", "The access token's account no longer exists")
        if user.suspended:
            raise _suspended()
        return user

    async def me(self, principal: Principal) -> UserRow:
        return await self.active_user(principal)

    async def _has_second_factor(self, user: UserRow) -> bool:
        return user.totp_enabled_at is not None or await self._repo.has_devices(user.id)

    async def access_token(self, user: UserRow, proved_at: datetime | None) -> str:
        principal = Principal(
            user_id=str(user.id),
            role=user.role,
            tier=user.tier,
            second_factor=await self._has_second_factor(user),
            second_factor_at=int(proved_at.timestamp()) if proved_at else None,
        )
        return self._runtime.tokens.issue(principal)

    # Password login and brute-force limits -------------------------------------------------
    async def login(
        self, email: str, password: str, client: ClientInfo
    ) -> IssuedTokens | SecondFactorChallenge:
        mask = register_secret(password)
        # No format check: a malformed address is just another unknown account. Control
        # characters go (PostgreSQL text cannot hold NUL), so every address can be counted.
        address = _CONTROL.sub("", email).strip().lower()
        await self._check_throttle(address, client.ip)
        found = await self._repo.credentials_by_email(address)
        ok = await self._passwords.verify(found.password_hash if found else None, password)
        if found is None or not ok:
            self._logins.labels("failure").inc()
            await self._record_failure(address, client.ip, found.user if found else None)
            raise _invalid_credentials()
        if self._passwords.needs_rehash(found.password_hash):
            new_hash = await self._passwords.hash(password)
            await self._repo.set_password_hash(found.user.id, new_hash, self._now())
        del mask
        if found.user.suspended:
            self._logins.labels("suspended").inc()
            raise _suspended()
        self._logins.labels("success").inc()
        now = self._now()
        async with self._uow():
            if found.user.totp_enabled_at is None:
                await self._repo.clear_failures(address)
                return await self._start_session(found.user, "password", None, client)
            # The count is cleared only once the second factor is proved too: otherwise each
            # correct password would buy a fresh round of guesses at the 6-digit code.
            challenge = ChallengeRow(
                id=uuid.uuid4(),
                user_id=found.user.id,
                purpose="second_factor",
                device_id=None,
                nonce="",
                expires_at=now + CHALLENGE_TTL,
                used_at=None,
                attempts=0,
                user_agent=client.user_agent,
                ip=client.ip,
            )
            await self._repo.add_challenge(challenge, now)
        return SecondFactorChallenge(
            challenge_id=str(challenge.id),
            expires_in=int(CHALLENGE_TTL.total_seconds()),
            methods=["totp", "recovery_code"],
        )

    async def _check_throttle(self, address: str, ip: str) -> None:
        """429 while the address or the client IP has too many recent failures.

        Counted per typed address, known or not, so a locked-out answer says nothing about
        whether the account exists.
        """
        now = self._now()
        since = now - LOCKOUT_WINDOW
        checks = [(await self._repo.failures_for_email(address, since), ACCOUNT_FAILURE_LIMIT)]
        if ip:
            checks.insert(0, (await self._repo.failures_for_ip(ip, since), IP_FAILURE_LIMIT))
        for failures, limit in checks:
            if len(failures) >= limit:
                raise ProblemError(
                    429,
                    "too_many_attempts",
                    "Too many failed sign-in attempts; try again later",
                    headers={"Retry-After": _retry_after(failures[limit - 1], now)},
                )

    async def _record_failure(self, address: str, ip: str, user: UserRow | None) -> None:
        now = self._now()
        async with self._uow() as uow:
            await self._repo.forget_failures_before(now - 4 * LOCKOUT_WINDOW)
            await self._repo.add_failure(email=address[:320], ip=ip[:64], now=now)
            recent = await self._repo.failures_for_email(address, now - LOCKOUT_WINDOW)
            if user is not None and len(recent) == ACCOUNT_FAILURE_LIMIT:
                self._security_event(uow, user.id, "lockout", "sign-in locked for 15 minutes")
        if user is not None and len(recent) == ACCOUNT_FAILURE_LIMIT:
            log.warning("account locked out", extra={"user_id": str(user.id)})

    def _security_event(
        self, uow: UnitOfWork, user_id: uuid.UUID, kind: SecurityEventKind, detail: str = ""
    ) -> None:
        uow.publish(SecurityEventRaised(user_id=str(user_id), kind=kind, detail=detail))

    async def _reauthenticate(self, user: UserRow, password: str) -> None:
        """Check the account password again for a sensitive change, under the login limits."""
        mask = register_secret(password)
        await self._check_throttle(user.email, "")
        password_hash = await self._repo.password_hash(user.id)
        if not await self._passwords.verify(password_hash, password):
            await self._record_failure(user.email, "", user)
            raise ProblemError(403, "reauthentication_failed", "The password is not correct")
        del mask

    # Sessions -------------------------------------------------------------------------------
    async def _start_session(
        self, user: UserRow, method: str, proved_at: datetime | None, client: ClientInfo
    ) -> IssuedTokens:
        """A new session family with its first refresh token (call inside a unit of work)."""
        now = self._now()
        session = SessionRow(
            id=uuid.uuid4(),
            user_id=user.id,
            method=method,
            created_at=now,
            last_used_at=now,
            expires_at=now + self._refresh_ttl(),
            second_factor_at=proved_at,
            revoked_at=None,
            user_agent=client.user_agent[:200],
            ip=client.ip[:64],
        )
        await self._repo.create_session(session)
        return await self._issue(user, session)

    def _refresh_ttl(self) -> timedelta:
        return timedelta(seconds=self._runtime.settings.refresh_token_ttl_seconds)

    async def _issue(self, user: UserRow, session: SessionRow) -> IssuedTokens:
        refresh = secrets.token_urlsafe(32)  # 256 bits
        now = self._now()
        await self._repo.add_refresh_token(
            user_id=user.id,
            session_id=session.id,
            token_hash=digest_token(refresh),
            now=now,
            expires_at=now + self._refresh_ttl(),
        )
        return IssuedTokens(
            access_token=await self.access_token(user, session.second_factor_at),
            refresh_token=refresh,
            expires_in=self._runtime.tokens.ttl_seconds,
        )

    async def refresh(self, refresh_token: str, client: ClientInfo) -> IssuedTokens:
        """Rotate: the presented token is spent and a new pair is issued in the same session.

        Presenting an already-spent token means it was copied (OAuth 2.0 Security BCP, refresh
        token reuse): its whole session family is revoked, so thief and victim both lose it.
        """
        token_hash = digest_token(refresh_token)
        now = self._now()
        tokens: IssuedTokens | None = None
        suspended = reused = False
        async with self._uow():
            consumed = await self._repo.consume_refresh_token(token_hash, now)
            if consumed is not None:
                user = await self._repo.by_id(consumed[0])
                session = await self._repo.session(consumed[1]) if consumed[1] else None
                if user is not None and user.suspended:
                    suspended = True
                elif user is not None and consumed[1] is None:
                    tokens = await self._start_session(user, "password", None, client)
                elif user is not None and session is not None and session.revoked_at is None:
                    await self._repo.touch_session(session.id, now, now + self._refresh_ttl())
                    tokens = await self._issue(user, session)
            else:
                spent = await self._repo.spent_token(token_hash)
                if spent is not None:
                    reused = True
                    await self._repo.revoke_sessions(
                        spent[0], reason="refresh_token_reuse", now=now, session_id=spent[1]
                    )
        if tokens is not None:
            return tokens
        if suspended:
            raise _suspended()
        if reused:
            log.warning("spent refresh token presented again; its session family is revoked")
        raise ProblemError(401, "invalid_refresh_token", "The refresh token is not valid")

    async def logout(self, refresh_token: str) -> None:
        """End the session the refresh token belongs to; unknown tokens are quietly ignored."""
        token_hash = digest_token(refresh_token)
        now = self._now()
        async with self._uow():
            found = await self._repo.live_token(token_hash, now)
            if found is not None:
                await self._repo.revoke_sessions(
                    found[0], reason="logout", now=now, session_id=found[1]
                )

    async def sessions(self, principal: Principal) -> list[SessionRow]:
        user = await self.active_user(principal)
        return await self._repo.live_sessions(user.id, self._now())

    async def revoke_session(self, principal: Principal, session_id: uuid.UUID) -> None:
        user = await self.active_user(principal)
        async with self._uow():
            count = await self._repo.revoke_sessions(
                user.id, reason="revoked", now=self._now(), session_id=session_id
            )
        if count == 0:
            raise ProblemError(404, "session_not_found", "No such active session")

    async def sign_out_everywhere(self, principal: Principal) -> int:
        user = await self.active_user(principal)
        async with self._uow():
            return await self._repo.revoke_sessions(
                user.id, reason="signed_out_everywhere", now=self._now()
            )

    async def change_password(self, principal: Principal, current: str, new: str) -> None:
        user = await self.active_user(principal)
        mask = register_secret(new)
        await self._reauthenticate(user, current)
        check_password_policy(new)
        if new == current:
            raise ProblemError(422, "password_unchanged", "Choose a password you have not used")
        new_hash = await self._passwords.hash(new)
        now = self._now()
        async with self._uow() as uow:
            await self._repo.set_password_hash(user.id, new_hash, now)
            # Whoever knew the old password may hold a session: end them all.
            await self._repo.revoke_sessions(user.id, reason="password_changed", now=now)
            self._security_event(uow, user.id, "password_changed")
        del mask

    # Second factor: TOTP --------------------------------------------------------------------
    def _seal(self, user_id: uuid.UUID, secret: str) -> str:
        return self._runtime.keyring.encrypt(TOTP_KEY, secret.encode(), context=user_id.bytes)

    def _unseal(self, user_id: uuid.UUID, sealed: str) -> str:
        return self._runtime.keyring.decrypt(TOTP_KEY, sealed, context=user_id.bytes).decode()

    async def begin_totp(self, principal: Principal) -> TotpEnrolment:
        user = await self.active_user(principal)
        if user.totp_enabled_at is not None:
            raise ProblemError(409, "two_factor_enabled", "Two-factor sign-in is already on")
        secret = sf.new_totp_secret()
        async with self._uow():
            await self._repo.set_pending_totp(user.id, self._seal(user.id, secret))
        uri = sf.provisioning_uri(secret, user.email)
        return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=sf.qr_svg(uri))

    async def confirm_totp(self, principal: Principal, code: str) -> list[str]:
        user = await self.active_user(principal)
        active, pending = await self._repo.totp_secrets(user.id)
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
            if not await self._repo.enable_totp(user.id, pending, step, now):
                raise ProblemError(409, "no_enrolment", "The enrolment changed; start again")
            await self._repo.replace_recovery_codes(
                user.id, [sf.recovery_digest(c) for c in codes], now
            )
            self._security_event(uow, user.id, "two_factor_enabled")
        return codes

    async def disable_totp(self, principal: Principal, password: str, code: str) -> None:
        user = await self.active_user(principal)
        if user.totp_enabled_at is None:
            raise ProblemError(409, "two_factor_disabled", "Two-factor sign-in is not on")
        await self._reauthenticate(user, password)
        async with self._uow():
            ok = await self._check_code(user, code, allow_recovery=True)
        if not ok:
            raise ProblemError(403, "invalid_second_factor", "The code is not correct")
        async with self._uow() as uow:
            await self._repo.disable_totp(user.id, self._now())
            self._security_event(uow, user.id, "two_factor_disabled")

    async def _check_code(self, user: UserRow, code: str, *, allow_recovery: bool) -> bool:
        """Spend a TOTP step or a recovery code (call inside a unit of work)."""
        sealed, _ = await self._repo.totp_secrets(user.id)
        if sealed is None:
            return False
        step = sf.totp_step(self._unseal(user.id, sealed), code)
        if step is not None:
            return await self._repo.spend_totp_step(user.id, step)
        if allow_recovery and len(code) <= 32:
            digest = sf.recovery_digest(code)
            return await self._repo.spend_recovery_code(user.id, digest, self._now())
        return False

    async def login_second_factor(
        self, challenge_id: str, code: str, client: ClientInfo
    ) -> IssuedTokens:
        cid = _uuid(challenge_id)
        now = self._now()
        tokens: IssuedTokens | None = None
        suspended = missed = False
        async with self._uow():
            challenge = await self._repo.live_challenge(cid, "second_factor", now) if cid else None
            user = await self._repo.by_id(challenge.user_id) if challenge else None
            if challenge is not None and user is not None:
                if not await self._check_code(user, code, allow_recovery=True):
                    missed = True
                    await self._repo.count_challenge_miss(
                        challenge.id, max_attempts=CHALLENGE_MAX_ATTEMPTS, now=now
                    )
                elif await self._repo.spend_challenge(challenge.id, now):
                    if user.suspended:
                        suspended = True
                    else:
                        await self._repo.clear_failures(user.email)
                        tokens = await self._start_session(user, "second_factor", now, client)
        if tokens is not None:
            return tokens
        if suspended:
            raise _suspended()
        if missed and user is not None:
            # A wrong code counts like a wrong password: guessing codes locks the account too.
            await self._record_failure(user.email, client.ip, user)
        raise ProblemError(
            401,
            "invalid_second_factor",
            "The code is not correct or the sign-in attempt expired",
        )

    # Second factor: device keys -------------------------------------------------------------
    async def register_device(self, principal: Principal, name: str, public_key: str) -> DeviceRow:
        user = await self.active_user(principal)
        try:
            pem = sf.load_device_key(public_key)
        except sf.InvalidPublicKey:
            raise ProblemError(
                422, "invalid_public_key", "The public key must be an EC P-256 key"
            ) from None
        label = _CONTROL.sub("", name).strip() or "device"
        device = DeviceRow(
            id=uuid.uuid4(),
            user_id=user.id,
            name=label[:80],
            public_key=pem,
            created_at=self._now(),
            last_used_at=None,
            revoked_at=None,
        )
        async with self._uow() as uow:
            await self._repo.add_device(device)
            self._security_event(uow, user.id, "new_device", label[:80])
        return device

    async def devices(self, principal: Principal) -> list[DeviceRow]:
        user = await self.active_user(principal)
        return await self._repo.devices(user.id)

    async def revoke_device(self, principal: Principal, device_id: uuid.UUID) -> None:
        user = await self.active_user(principal)
        async with self._uow():
            revoked = await self._repo.revoke_device(user.id, device_id, self._now())
        if not revoked:
            raise ProblemError(404, "device_not_found", "No such device")

    async def device_challenge(self, device_id: str, client: ClientInfo) -> DeviceChallenge:
        """A nonce for the device to sign; an unknown device gets one too, just never usable."""
        did = _uuid(device_id)
        device = await self._repo.device(did) if did else None
        nonce = sf.new_challenge()
        challenge_id = uuid.uuid4()
        ttl = DEVICE_CHALLENGE_TTL
        if device is not None:
            now = self._now()
            async with self._uow():
                await self._repo.add_challenge(
                    ChallengeRow(
                        id=challenge_id,
                        user_id=device.user_id,
                        purpose="device",
                        device_id=device.id,
                        nonce=nonce,
                        expires_at=now + ttl,
                        used_at=None,
                        attempts=0,
                        user_agent=client.user_agent[:200],
                        ip=client.ip[:64],
                    ),
                    now,
                )
        return DeviceChallenge(
            challenge_id=str(challenge_id), challenge=nonce, expires_in=int(ttl.total_seconds())
        )

    async def _spend_device_proof(
        self, challenge_id: str, signature: str, user_id: uuid.UUID | None = None
    ) -> tuple[UserRow, DeviceRow] | None:
        """Spend the challenge (one try) and check its signature (call inside a unit of work)."""
        cid = _uuid(challenge_id)
        now = self._now()
        challenge = await self._repo.live_challenge(cid, "device", now) if cid else None
        if challenge is None or challenge.device_id is None:
            return None
        if user_id is not None and challenge.user_id != user_id:
            return None
        if not await self._repo.spend_challenge(challenge.id, now):
            return None
        device = await self._repo.device(challenge.device_id)
        user = await self._repo.by_id(challenge.user_id)
        if device is None or user is None:
            return None
        if not sf.verify_device_signature(device.public_key, challenge.nonce, signature):
            return None
        await self._repo.touch_device(device.id, now)
        return user, device

    async def device_login(
        self, challenge_id: str, signature: str, client: ClientInfo
    ) -> IssuedTokens:
        tokens: IssuedTokens | None = None
        suspended = False
        async with self._uow():
            proof = await self._spend_device_proof(challenge_id, signature)
            if proof is not None and proof[0].suspended:
                suspended = True
            elif proof is not None:
                tokens = await self._start_session(proof[0], "device", self._now(), client)
        if tokens is not None:
            return tokens
        if suspended:
            raise _suspended()
        raise ProblemError(401, "invalid_device_signature", "The device proof is not valid")

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
                ok = await self._check_code(user, code, allow_recovery=False)
            else:
                assert challenge_id is not None and signature is not None
                ok = await self._spend_device_proof(challenge_id, signature, user.id) is not None
        if not ok:
            raise ProblemError(403, "invalid_second_factor", "The second-factor proof failed")
        return await self.access_token(user, self._now())

    # Profile --------------------------------------------------------------------------------
    async def profile(self, principal: Principal) -> tuple[UserRow, int]:
        user = await self.active_user(principal)
        return user, len(await self._repo.devices(user.id))

    async def update_profile(
        self, principal: Principal, changes: dict[str, str]
    ) -> tuple[UserRow, int]:
        user = await self.active_user(principal)
        values: dict[str, str] = {}
        if "display_name" in changes:
            values["display_name"] = _CONTROL.sub("", changes["display_name"]).strip()
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
        return user, len(await self._repo.devices(user.id))

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
        text = _CONTROL.sub("", query).strip().lower() if query else None
        return await self._repo.search(query=text, status=status, limit=limit, offset=offset)

    async def admin_view(self, admin: Principal, user_id: uuid.UUID) -> AdminView:
        await self.active_user(admin)
        return await self._view(user_id)

    async def _view(self, user_id: uuid.UUID) -> AdminView:
        user = await self._repo.by_id(user_id)
        if user is None:
            raise ProblemError(404, "user_not_found", "No such user")
        sessions = await self._repo.live_sessions(user.id, self._now())
        devices = await self._repo.devices(user.id)
        return AdminView(user=user, active_sessions=len(sessions), devices=len(devices))

    async def suspend(self, admin: Principal, user_id: uuid.UUID, reason: str) -> AdminView:
        me = await self.active_user(admin)
        reason = _CONTROL.sub("", reason).strip()
        if not reason:
            raise ProblemError(422, "reason_required", "Say why the account is suspended")
        if me.id == user_id:
            raise ProblemError(409, "cannot_suspend_self", "An admin cannot suspend themselves")
        now = self._now()
        async with self._uow() as uow:
            changed = await self._repo.change_status(
                user_id, status="suspended", reason=reason, now=now
            )
            if changed is not None:
                await self._repo.revoke_sessions(user_id, reason="suspended", now=now)
                uow.publish(UserSuspended(user_id=str(user_id), reason=reason))
        if changed is not None:
            log.info("user suspended", extra={"user_id": str(user_id), "by": admin.user_id})
        return await self._view(user_id)

    async def reinstate(self, admin: Principal, user_id: uuid.UUID) -> AdminView:
        await self.active_user(admin)
        async with self._uow() as uow:
            changed = await self._repo.change_status(
                user_id, status="active", reason="", now=self._now()
            )
            if changed is not None:
                uow.publish(UserReinstated(user_id=str(user_id)))
        return await self._view(user_id)

    async def change_tier(self, admin: Principal, user_id: uuid.UUID, tier: Tier) -> AdminView:
        await self.active_user(admin)
        async with self._uow() as uow:
            changed = await self._repo.change_tier(user_id, tier, self._now())
            if changed is not None:
                uow.publish(UserTierChanged(user_id=str(user_id), tier=tier))
        return await self._view(user_id)

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
    if _CONTROL.search(name):
        raise ProblemError(422, "invalid_timezone", "Use an IANA time zone such as Europe/Paris")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ProblemError(
            422, "invalid_timezone", "Use an IANA time zone such as Europe/Paris"
        ) from None
    return name

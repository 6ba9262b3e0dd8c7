"""Access tokens (JWT, HS256) and the request principal.

Identity issues tokens through `TokenCodec.issue`; every module's handlers receive the verified
`Principal` through the `principal` dependency (`admin`, `admin_step_up` and `step_up` add their
demands). Algorithms are pinned, so `alg: none` or a token signed for another algorithm is
refused. A verified token is also checked against the revocations identity wrote
(`modules.kernel.revocation`), from a per-replica cache at most a second old.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import jwt
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler

from modules.kernel.errors import ProblemError
from modules.kernel.revocation import TokenRevocations, now_ms

Role = Literal["trader", "admin"]
_ALGORITHM = "HS256"


STEP_UP_WINDOW_SECONDS = 300
KEYSET_PREFIX = "keyset:"
# Verified tokens remembered at most (a token and its principal: about half a KiB each).
VERIFIED_TOKENS_KEPT = 10_000


class Principal(msgspec.Struct, frozen=True):
    user_id: str
    role: Role
    tier: str = "basic"
    # Whether the user has a second factor (TOTP or a device key) enrolled, and when they last
    # proved it (epoch seconds). Sensitive actions demand a recent proof (step-up).
    second_factor: bool = False
    second_factor_at: int | None = None
    # The session the token belongs to (signing out of it kills the token), and when the token
    # was issued in epoch milliseconds (set on verification; a revocation kills older tokens).
    session_id: str | None = None
    issued_at_ms: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def key_id(secret: str) -> str:
    """A stable, non-secret name for a signing secret (the JWT `kid` header)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


class TokenCodec:
    """Signs with the current key and verifies with any key of the keyset.

    Every token names its key in the `kid` header, so the signing key can be rotated without
    logging anyone out: `rotate(new_secret)` makes a new current key while tokens signed with
    the previous ones stay valid until they expire or their key is `retire`d.
    """

    def __init__(
        self,
        secret: str,
        *,
        issuer: str = "nija",
        ttl_seconds: int = 900,
        keys: Mapping[str, str] | None = None,
        current_kid: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys: dict[str, str] = {}
        # Tokens whose signature and claims were checked, with their expiry: a trader's app
        # sends the same token for minutes, and checking its HMAC and claims again on every
        # request was 4 % of the app's CPU under load. A hit is still refused once expired;
        # rotating or retiring a key forgets them all.
        self._verified: dict[str, tuple[Principal, int]] = {}
        self._clock = clock
        for kid, extra in (keys or {}).items():
            self._add(kid, extra)
        self._current = current_kid or key_id(secret)
        self._add(self._current, secret)
        self._issuer = issuer
        self.ttl_seconds = ttl_seconds

    @classmethod
    def from_config(cls, value: str, *, issuer: str = "nija", ttl_seconds: int = 900) -> TokenCodec:
        """A codec from `NIJA_JWT_SECRET`: one secret, or `keyset:<kid>=<secret>,...`.

        In the keyset form the first key signs and every listed key verifies, so a rotation is
        a config change: put the new key first, keep the old one until its tokens expire.
        """
        if not value.startswith(KEYSET_PREFIX):
            return cls(value, issuer=issuer, ttl_seconds=ttl_seconds)
        pairs = [part.partition("=") for part in value[len(KEYSET_PREFIX) :].split(",")]
        keys = {kid.strip(): secret.strip() for kid, _, secret in pairs if kid.strip()}
        if not keys:
            raise ValueError("the JWT keyset names no key")
        current = next(iter(keys))
        return cls(
            keys[current], issuer=issuer, ttl_seconds=ttl_seconds, keys=keys, current_kid=current
        )

    def _add(self, kid: str, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("JWT secret must be at least 32 characters")
        if not kid or len(kid) > 64:
            raise ValueError("a key id must be 1 to 64 characters")
        self._keys[kid] = secret

    @property
    def current_kid(self) -> str:
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def rotate(self, secret: str, *, kid: str | None = None) -> str:
        """Sign from now on with `secret`; earlier keys keep verifying. Returns the new kid."""
        new_kid = kid or key_id(secret)
        self._add(new_kid, secret)
        self._current = new_kid
        self._verified.clear()
        return new_kid

    def retire(self, kid: str) -> None:
        """Stop accepting tokens signed with `kid` (never the current key)."""
        if kid == self._current:
            raise ValueError("the current signing key cannot be retired")
        self._keys.pop(kid, None)
        self._verified.clear()

    @property
    def _secret(self) -> str:
        return self._keys[self._current]

    def issue(self, principal: Principal, *, ttl_seconds: int | None = None) -> str:
        issued_ms = now_ms()
        now = issued_ms // 1000
        claims: dict[str, Any] = {
            "sub": principal.user_id,
            "role": principal.role,
            "tier": principal.tier,
            "iss": self._issuer,
            "iat": now,
            "iatm": issued_ms,
            "exp": now + (ttl_seconds if ttl_seconds is not None else self.ttl_seconds),
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "sf": principal.second_factor,
        }
        if principal.second_factor_at is not None:
            claims["sfa"] = principal.second_factor_at
        if principal.session_id is not None:
            claims["sid"] = principal.session_id
        return jwt.encode(
            claims, self._secret, algorithm=_ALGORITHM, headers={"kid": self._current}
        )

    def _verification_keys(self, token: str) -> list[str]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise ProblemError(401, "invalid_token", "The access token is not valid") from None
        if kid is None:
            # Tokens minted before key ids existed: any key of the set may have signed them.
            return list(self._keys.values())
        if not isinstance(kid, str) or kid not in self._keys:
            raise ProblemError(401, "invalid_token", "The access token is not valid")
        return [self._keys[kid]]

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, expires_at = known
            if expires_at <= self._clock():
                del self._verified[token]
                raise ProblemError(401, "token_expired", "The access token has expired")
            return principal
        principal, expires_at = self._verify_signed(token)
        if len(self._verified) >= VERIFIED_TOKENS_KEPT:
            del self._verified[next(iter(self._verified))]  # the oldest kept
        self._verified[token] = (principal, expires_at)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, int]:
        claims: dict[str, Any] | None = None
        for secret in self._verification_keys(token):
            try:
                claims = jwt.decode(
                    token,
                    secret,
                    algorithms=[_ALGORITHM],
                    issuer=self._issuer,
                    options={"require": ["exp", "iat", "sub", "iss"]},
                )
                break
            except jwt.ExpiredSignatureError:
                raise ProblemError(401, "token_expired", "The access token has expired") from None
            except jwt.PyJWTError:
                continue
        if claims is None:
            raise ProblemError(401, "invalid_token", "The access token is not valid")
        if claims.get("typ") != "access" or claims.get("role") not in ("trader", "admin"):
            raise ProblemError(401, "invalid_token", "The access token is not valid")
        proved_at = claims.get("sfa")
        session_id = claims.get("sid")
        issued_ms = claims.get("iatm")
        if not isinstance(issued_ms, int):
            # A token from before millisecond stamps: the start of its second, so a revocation
            # in that same second kills it rather than letting it live.
            issued_ms = int(claims["iat"]) * 1000
        principal = Principal(
            user_id=str(claims["sub"]),
            role=claims["role"],
            tier=str(claims.get("tier", "basic")),
            second_factor=bool(claims.get("sf", False)),
            second_factor_at=int(proved_at) if isinstance(proved_at, int) else None,
            session_id=session_id if isinstance(session_id, str) else None,
            issued_at_ms=issued_ms,
        )
        return principal, int(claims["exp"])


def load_or_create_secret(data_dir: str, name: str = "jwt.key") -> str:
    """A signing secret persisted with mode 0600 so tokens survive restarts of `nija run`."""
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, name)
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret)
        return secret


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "missing_token", "Send an access token as 'Authorization: Bearer'")
    return token.strip()


_VERIFIED = "nija.principal"
_LIVE = "nija.principal.live"


def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal of the request's bearer token, its signature verified once per request.

    The app-wide rate-limit guard and the handler's dependency both need it; the result is kept
    in the request's scope so the signature is checked once, not twice. Whether the token was
    revoked is `live_principal`'s question.
    """
    state = connection.scope.setdefault("state", {})
    cached = state.get(_VERIFIED)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    codec: TokenCodec = connection.app.state.tokens
    principal = codec.verify(bearer_token(connection))
    state[_VERIFIED] = principal
    return principal


async def live_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The verified principal, refused if its token was revoked (once per request)."""
    state = connection.scope.setdefault("state", {})
    live = state.get(_LIVE)
    if live is not None:
        return live  # type: ignore[no-any-return]
    principal = authenticate(connection)
    revocations: TokenRevocations = connection.app.state.revocations
    await revocations.check(principal.user_id, principal.issued_at_ms, principal.session_id)
    state[_LIVE] = principal
    return principal


def require_admin(principal: Principal) -> None:
    """The admin role, with a second factor enrolled: a password alone does not open /v1/admin."""
    if not principal.is_admin:
        raise ProblemError(403, "admin_required", "This action needs the admin role")
    if not principal.second_factor:
        raise ProblemError(
            403,
            "second_factor_required_for_admin",
            "Enrol a second factor (TOTP or a device) and prove it before using admin functions",
        )


def require_recent_proof(principal: Principal) -> None:
    """A second-factor proof (TOTP or device signature) within the step-up window."""
    if time.time() - (principal.second_factor_at or 0) > STEP_UP_WINDOW_SECONDS:
        raise ProblemError(
            403,
            "step_up_required",
            "Confirm this action with your second factor or device, then retry",
        )


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return await live_principal(request)


async def provide_admin(request: Request[Any, Any, Any]) -> Principal:
    principal = await live_principal(request)
    require_admin(principal)
    return principal


async def provide_admin_step_up(request: Request[Any, Any, Any]) -> Principal:
    """An admin who proved their second factor within the last five minutes: for admin actions
    that change money or access (kill switches, suspensions, tiers, breakers, faults)."""
    principal = await provide_admin(request)
    require_recent_proof(principal)
    return principal


async def provide_step_up(request: Request[Any, Any, Any]) -> Principal:
    """The principal, if it may perform a sensitive action now.

    A user with a second factor enrolled must have proved it (TOTP or device signature) within
    the last five minutes; a user with none enrolled has nothing stronger to offer.
    """
    principal = await live_principal(request)
    if principal.second_factor:
        require_recent_proof(principal)
    return principal


_PRINCIPAL_DEPENDENCIES = frozenset({"principal", "admin", "admin_step_up", "step_up"})
_ADMIN_DEPENDENCIES = frozenset({"admin", "admin_step_up"})


BEARER_SCHEME = "bearer"


def needs_principal(route_handler: BaseRouteHandler) -> frozenset[str]:
    """Which of the principal dependencies (`principal`, `admin`, `admin_step_up`, `step_up`) a
    handler takes."""
    return _PRINCIPAL_DEPENDENCIES & route_handler.parsed_fn_signature.parameters.keys()


def declare_bearer_security(route_handlers: Iterable[BaseRouteHandler]) -> None:
    """Mark every operation that takes a principal as needing the bearer token in the OpenAPI,
    from the same test the guard applies, so the document cannot drift from the code."""
    for handler in route_handlers:
        if isinstance(handler, HTTPRouteHandler) and needs_principal(handler):
            handler.security = [{BEARER_SCHEME: []}]


async def authentication_guard(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """App-wide guard: a route that needs a principal refuses a missing, bad or revoked token
    first.

    Guards run before the body is read, so an anonymous caller learns nothing but 401 (not
    whether its body would have been valid), and a trader nothing but 403 on an admin route.
    Admin routes also demand an enrolled second factor, and a recent proof of it for actions
    that change money or access.
    """
    if connection.scope["type"] != ScopeType.HTTP:
        return
    needs = needs_principal(route_handler)
    if not needs:
        return
    principal = await live_principal(connection)
    if needs & _ADMIN_DEPENDENCIES:
        require_admin(principal)
    if "admin_step_up" in needs:
        require_recent_proof(principal)

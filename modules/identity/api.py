"""Identity's HTTP surface: `/v1/auth/*`, `/v1/settings/profile` and `/v1/admin/users`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, cast

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from modules.identity.contracts import Tier
from modules.identity.schemas import (
    AccessTokenResponse,
    AdminUserDetail,
    DeviceChallengeRequest,
    DeviceChallengeResponse,
    DeviceLoginRequest,
    DeviceOut,
    DeviceRegisterRequest,
    LoginRequest,
    PasswordChangeRequest,
    ProfileOut,
    ProfilePatch,
    ReauthRequest,
    RecoveryCodesResponse,
    RefreshRequest,
    RegisterRequest,
    SecondFactorLoginRequest,
    SessionOut,
    StepUpRequest,
    SuspendRequest,
    TierRequest,
    TokenResponse,
    TotpConfirmRequest,
    TotpSetupResponse,
    UserOut,
    UserPage,
    UserStatus,
)
from modules.identity.service.identity import IdentityService
from modules.identity.service.password_login import SecondFactorChallenge
from modules.identity.service.sessions import ClientInfo, IssuedTokens
from modules.identity.views import IdentityViews
from modules.kernel.api_docs import problem_response
from modules.kernel.auth import Principal
from modules.kernel.bounds import SINGLE_LINE
from modules.kernel.errors import problem
from modules.kernel.http import request_client_address

# Token responses must never be cached by a proxy or the client (RFC 6749 section 5.1).
_NO_STORE = CacheControlHeader(no_store=True)
Service = NamedDependency[IdentityService]
Views = NamedDependency[IdentityViews]


def _client(request: Request[Any, Any, Any]) -> ClientInfo:
    return ClientInfo(
        ip=request_client_address(request), user_agent=request.headers.get("user-agent", "")[:200]
    )


def _tokens_out(tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


_SECOND_FACTOR_SPEC = ResponseSpec(
    data_container=dict[str, Any],
    description=(
        "Problem `second_factor_required`: finish with POST /v1/auth/login/second-factor "
        "and the `challenge_id` it carries"
    ),
    media_type="application/problem+json",
    generate_examples=False,  # random, and the OpenAPI snapshot must be the same every time
)


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create a trader account")
    async def register(
        self, data: JSONBody[RegisterRequest], identity_service: Service, identity_views: Views
    ) -> UserOut:
        user = await identity_service.register(data.email, data.password)
        return await identity_views.user(user.id)

    @post(
        "/login",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Exchange email and password for tokens",
        responses={
            401: _SECOND_FACTOR_SPEC,
            429: problem_response(429, "Too many failed sign-ins for this address or from here"),
        },
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        identity_service: Service,
    ) -> Response[TokenResponse]:
        outcome = await identity_service.login(data.email, data.password, _client(request))
        if isinstance(outcome, SecondFactorChallenge):
            challenge = problem(
                401,
                "second_factor_required",
                "Enter the code from your authenticator app (or a recovery code)",
                request.url.path,
            )
            challenge.content.update(msgspec.to_builtins(outcome))
            return cast(Response[TokenResponse], challenge)
        return Response(_tokens_out(outcome))

    @post(
        "/login/second-factor",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Finish a login with a TOTP or recovery code",
        responses={401: problem_response(401, "The code is wrong or the sign-in attempt expired")},
    )
    async def login_second_factor(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SecondFactorLoginRequest],
        identity_service: Service,
    ) -> TokenResponse:
        tokens = await identity_service.login_second_factor(
            data.challenge_id, data.code, _client(request)
        )
        return _tokens_out(tokens)

    @post(
        "/refresh",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Rotate a refresh token for a new token pair",
        responses={401: problem_response(401, "The refresh token is not valid (or was used)")},
    )
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RefreshRequest],
        identity_service: Service,
    ) -> TokenResponse:
        return _tokens_out(await identity_service.refresh(data.refresh_token, _client(request)))

    @post("/logout", status_code=204, summary="End the session of this refresh token")
    async def logout(self, data: JSONBody[RefreshRequest], identity_service: Service) -> None:
        await identity_service.logout(data.refresh_token)

    @get("/me", summary="The signed-in account")
    async def me(
        self,
        principal: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> UserOut:
        user = await identity_service.active_user(principal)
        return await identity_views.user(user.id)

    @post("/password", status_code=204, summary="Change the password (ends every session)")
    async def change_password(
        self,
        data: JSONBody[PasswordChangeRequest],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.change_password(principal, data.current_password, data.new_password)

    @get("/sessions", summary="The account's active sessions")
    async def sessions(
        self,
        principal: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> list[SessionOut]:
        user = await identity_service.active_user(principal)
        return await identity_views.sessions(user.id)

    @delete("/sessions/{session_id:uuid}", status_code=204, summary="Revoke one session")
    async def revoke_session(
        self,
        session_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.revoke_session(principal, session_id)

    @delete("/sessions", status_code=204, summary="Sign out everywhere")
    async def sign_out_everywhere(
        self, principal: NamedDependency[Principal], identity_service: Service
    ) -> None:
        await identity_service.sign_out_everywhere(principal)

    @post(
        "/step-up",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Prove the second factor again for a sensitive action",
    )
    async def step_up(
        self,
        data: JSONBody[StepUpRequest],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> AccessTokenResponse:
        token = await identity_service.step_up(
            principal, code=data.code, challenge_id=data.challenge_id, signature=data.signature
        )
        return AccessTokenResponse(access_token=token, expires_in=identity_service.token_ttl)

    # Devices (biometric login) --------------------------------------------------------------
    @post("/devices", status_code=201, summary="Register this phone's P-256 public key")
    async def register_device(
        self,
        data: JSONBody[DeviceRegisterRequest],
        step_up: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> DeviceOut:
        device = await identity_service.register_device(step_up, data.name, data.public_key)
        return await identity_views.device(device.id)

    @get("/devices", summary="The account's registered devices")
    async def devices(
        self,
        principal: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> list[DeviceOut]:
        user = await identity_service.active_user(principal)
        return await identity_views.devices(user.id)

    @delete("/devices/{device_id:uuid}", status_code=204, summary="Revoke a device")
    async def revoke_device(
        self,
        device_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.revoke_device(principal, device_id)

    @post("/device/challenge", status_code=200, summary="A nonce for a device to sign")
    async def device_challenge(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DeviceChallengeRequest],
        identity_service: Service,
    ) -> DeviceChallengeResponse:
        challenge = await identity_service.device_challenge(data.device_id, _client(request))
        return DeviceChallengeResponse(
            challenge_id=challenge.challenge_id,
            challenge=challenge.challenge,
            expires_in=challenge.expires_in,
        )

    @post(
        "/device/login",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Log in with a device signature over a challenge",
        responses={401: problem_response(401, "The signature or the challenge is not valid")},
    )
    async def device_login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DeviceLoginRequest],
        identity_service: Service,
    ) -> TokenResponse:
        tokens = await identity_service.device_login(
            data.challenge_id, data.signature, _client(request)
        )
        return _tokens_out(tokens)

    # TOTP -----------------------------------------------------------------------------------
    @post(
        "/2fa/totp",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Start TOTP enrolment (otpauth URI and QR code)",
    )
    async def begin_totp(
        self, step_up: NamedDependency[Principal], identity_service: Service
    ) -> TotpSetupResponse:
        enrolment = await identity_service.begin_totp(step_up)
        return TotpSetupResponse(
            secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg=enrolment.qr_svg
        )

    @post(
        "/2fa/totp/confirm",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Confirm TOTP with a first code; returns one-use recovery codes",
    )
    async def confirm_totp(
        self,
        data: JSONBody[TotpConfirmRequest],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> RecoveryCodesResponse:
        codes = await identity_service.confirm_totp(principal, data.code)
        return RecoveryCodesResponse(recovery_codes=codes)

    @post("/2fa/totp/disable", status_code=204, summary="Turn TOTP off (password and a code)")
    async def disable_totp(
        self,
        data: JSONBody[ReauthRequest],
        principal: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.disable_totp(principal, data.password, data.code)


class SettingsController(Controller):
    path = "/v1/settings"
    tags = ["settings"]

    @get("/profile", summary="The signed-in user's profile")
    async def profile(
        self,
        principal: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> ProfileOut:
        user = await identity_service.active_user(principal)
        return await identity_views.profile(user.id)

    @patch("/profile", summary="Change display name, time zone or locale")
    async def update_profile(
        self,
        data: JSONBody[ProfilePatch],
        principal: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> ProfileOut:
        changes = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not msgspec.UNSET
        }
        user = await identity_service.update_profile(principal, changes)
        return await identity_views.profile(user.id)


class AdminUsersController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]

    @get("/", summary="Search accounts (admin only)")
    async def list_users(
        self,
        admin: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        q: Annotated[str | None, QueryParameter(max_length=254, pattern=SINGLE_LINE)] = None,
        status: Annotated[UserStatus | None, QueryParameter()] = None,
        tier: Annotated[Tier | None, QueryParameter()] = None,
    ) -> UserPage:
        await identity_service.active_user(admin)
        return await identity_views.users(
            query=q, status=status, tier=tier, limit=limit, offset=offset
        )

    @get("/{user_id:uuid}", summary="One account (admin only)")
    async def get_user(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> AdminUserDetail:
        await identity_service.active_user(admin)
        return await identity_views.admin_user(user_id)

    @post("/{user_id:uuid}/suspend", status_code=200, summary="Suspend an account")
    async def suspend(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[SuspendRequest],
        admin_step_up: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> AdminUserDetail:
        await identity_service.suspend(admin_step_up, user_id, data.reason)
        return await identity_views.admin_user(user_id)

    @post("/{user_id:uuid}/reinstate", status_code=200, summary="Reinstate an account")
    async def reinstate(
        self,
        user_id: FromPath[uuid.UUID],
        admin_step_up: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> AdminUserDetail:
        await identity_service.reinstate(admin_step_up, user_id)
        return await identity_views.admin_user(user_id)

    @put("/{user_id:uuid}/tier", status_code=200, summary="Change an account's tier")
    async def change_tier(
        self,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[TierRequest],
        admin_step_up: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> AdminUserDetail:
        await identity_service.change_tier(admin_step_up, user_id, data.tier)
        return await identity_views.admin_user(user_id)

    @get("/{user_id:uuid}/sessions", summary="A user's active sessions (admin only)")
    async def user_sessions(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> list[SessionOut]:
        await identity_service.active_user(admin)
        await identity_views.admin_user(user_id)  # 404 for an unknown account
        return await identity_views.sessions(user_id)

    @delete(
        "/{user_id:uuid}/sessions/{session_id:uuid}",
        status_code=204,
        summary="End one of a user's sessions (admin, step-up)",
    )
    async def revoke_user_session(
        self,
        user_id: FromPath[uuid.UUID],
        session_id: FromPath[uuid.UUID],
        admin_step_up: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.admin_revoke_session(admin_step_up, user_id, session_id)

    @get("/{user_id:uuid}/devices", summary="A user's sign-in devices (admin only)")
    async def user_devices(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        identity_service: Service,
        identity_views: Views,
    ) -> list[DeviceOut]:
        await identity_service.active_user(admin)
        await identity_views.admin_user(user_id)
        return await identity_views.devices(user_id)

    @delete(
        "/{user_id:uuid}/devices/{device_id:uuid}",
        status_code=204,
        summary="Revoke one of a user's sign-in devices (admin, step-up)",
    )
    async def revoke_user_device(
        self,
        user_id: FromPath[uuid.UUID],
        device_id: FromPath[uuid.UUID],
        admin_step_up: NamedDependency[Principal],
        identity_service: Service,
    ) -> None:
        await identity_service.admin_revoke_device(admin_step_up, user_id, device_id)

"""Identity's HTTP surface: `/v1/auth/*` for everyone and `/v1/admin/users` for admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from modules.identity.repository import UserRow
from modules.identity.schemas import (
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserOut,
    UserPage,
)
from modules.identity.service import IdentityService, IssuedTokens
from modules.kernel.auth import Principal

# Token responses must never be cached by a proxy or the client (RFC 6749 section 5.1).
_NO_STORE = CacheControlHeader(no_store=True)


def _user_out(user: UserRow) -> UserOut:
    return UserOut(
        id=str(user.id),
        email=user.email,
        role=user.role,
        tier=user.tier,
        created_at=user.created_at,
    )


def _tokens_out(tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post("/register", status_code=201, summary="Create a trader account")
    async def register(
        self, data: JSONBody[RegisterRequest], identity_service: NamedDependency[IdentityService]
    ) -> UserOut:
        return _user_out(await identity_service.register(data.email, data.password))

    @post(
        "/login",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Exchange email and password for tokens",
    )
    async def login(
        self, data: JSONBody[LoginRequest], identity_service: NamedDependency[IdentityService]
    ) -> TokenResponse:
        return _tokens_out(await identity_service.login(data.email, data.password))

    @post(
        "/refresh",
        status_code=200,
        cache_control=_NO_STORE,
        summary="Rotate a refresh token for a new token pair",
    )
    async def refresh(
        self, data: JSONBody[RefreshRequest], identity_service: NamedDependency[IdentityService]
    ) -> TokenResponse:
        return _tokens_out(await identity_service.refresh(data.refresh_token))

    @get("/me", summary="The signed-in account")
    async def me(
        self,
        principal: NamedDependency[Principal],
        identity_service: NamedDependency[IdentityService],
    ) -> UserOut:
        return _user_out(await identity_service.me(principal))


class AdminUsersController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]

    @get("/", summary="List accounts (admin only)")
    async def list_users(
        self,
        admin: NamedDependency[Principal],
        identity_service: NamedDependency[IdentityService],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> UserPage:
        users, total = await identity_service.list_users(limit=limit, offset=offset)
        return UserPage(
            items=[_user_out(u) for u in users], total=total, limit=limit, offset=offset
        )

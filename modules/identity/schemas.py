"""HTTP request and response bodies of the identity API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from modules.identity.contracts import Role, Tier

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128

# Format is checked after normalisation (service.normalise_email); this only bounds the size.
Email = Annotated[
    str,
    Meta(min_length=3, max_length=320, description="Email address", examples=["ada@example.com"]),
]
NewPassword = Annotated[
    str,
    Meta(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
    ),
]
# Any length within the bound is accepted at login, so a policy change never locks anyone out.
Password = Annotated[str, Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
OpaqueToken = Annotated[str, Meta(min_length=1, max_length=256)]


class RegisterRequest(msgspec.Struct, frozen=True):
    email: Email
    password: NewPassword


class LoginRequest(msgspec.Struct, frozen=True):
    email: Email
    password: Password


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: OpaqueToken


class UserOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    role: Role
    tier: Tier
    created_at: datetime


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: Annotated[int, Meta(description="Access token lifetime in seconds")]
    token_type: Literal["bearer"] = "bearer"


class UserPage(msgspec.Struct, frozen=True):
    items: list[UserOut]
    total: int
    limit: int
    offset: int

"""HTTP request and response bodies of the identity API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from modules.identity.contracts import Role, Tier
from modules.identity.domain.password_policy import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from modules.kernel.bounds import identifier, text

# Format is checked after normalisation (domain/email.py); this only bounds the size.
Email = Annotated[
    str,
    text(320, min_length=3, description="Email address", examples=["ada@example.com"]),
]
NewPassword = Annotated[
    str,
    text(
        MAX_PASSWORD_LENGTH,
        min_length=MIN_PASSWORD_LENGTH,
        description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not a common one",
    ),
]
# Any length within the bound is accepted at login, so a policy change never locks anyone out.
Password = Annotated[str, text(MAX_PASSWORD_LENGTH, min_length=1)]
OpaqueToken = Annotated[str, text(256, min_length=1)]
OneTimeCode = Annotated[
    str, text(32, min_length=6, description="A 6-digit TOTP code or a recovery code")
]
TotpCode = Annotated[str, text(8, min_length=6, description="A 6-digit TOTP code")]
Base64 = Annotated[str, text(4096, min_length=1)]
Id = Annotated[str, identifier()]
UserStatus = Literal["active", "suspended"]


class RegisterRequest(msgspec.Struct, frozen=True):
    email: Email
    password: NewPassword


class LoginRequest(msgspec.Struct, frozen=True):
    email: Email
    password: Password


class RefreshRequest(msgspec.Struct, frozen=True):
    refresh_token: OpaqueToken


class SecondFactorLoginRequest(msgspec.Struct, frozen=True):
    challenge_id: Id
    code: OneTimeCode


class DeviceChallengeRequest(msgspec.Struct, frozen=True):
    device_id: Id


class DeviceChallengeResponse(msgspec.Struct, frozen=True):
    challenge_id: str
    challenge: Annotated[str, Meta(description="base64url bytes to sign (ECDSA P-256, SHA-256)")]
    expires_in: int


class DeviceLoginRequest(msgspec.Struct, frozen=True):
    challenge_id: Id
    signature: Annotated[Base64, Meta(description="base64url DER (or raw r||s) ECDSA signature")]


class StepUpRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Either a TOTP `code`, or a device `challenge_id` and its `signature`."""

    code: TotpCode | None = None
    challenge_id: Id | None = None
    signature: Base64 | None = None


class AccessTokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: int
    token_type: Literal["bearer"] = "bearer"


class PasswordChangeRequest(msgspec.Struct, frozen=True):
    current_password: Password
    new_password: NewPassword


class UserOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    role: Role
    tier: Tier
    created_at: datetime


class AdminUserOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    role: Role
    tier: Tier
    status: UserStatus
    created_at: datetime
    suspended_at: datetime | None
    suspended_reason: str
    two_factor_enabled: bool


class AdminUserDetail(msgspec.Struct, frozen=True):
    user: AdminUserOut
    display_name: str
    active_sessions: int
    devices: int


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: Annotated[int, Meta(description="Access token lifetime in seconds")]
    token_type: Literal["bearer"] = "bearer"


class UserPage(msgspec.Struct, frozen=True):
    items: list[AdminUserOut]
    total: int
    limit: int
    offset: int


class SuspendRequest(msgspec.Struct, frozen=True):
    reason: Annotated[str, text(500, min_length=1)]


class TierRequest(msgspec.Struct, frozen=True):
    tier: Tier


class SessionOut(msgspec.Struct, frozen=True):
    id: str
    method: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str


class DeviceRegisterRequest(msgspec.Struct, frozen=True):
    name: Annotated[str, text(80, min_length=1)]
    public_key: Annotated[
        str,
        text(
            4096,
            min_length=1,
            multiline=True,
            description="P-256 public key: PEM, base64 DER SubjectPublicKeyInfo or X9.62 point",
        ),
    ]


class DeviceOut(msgspec.Struct, frozen=True):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


class TotpSetupResponse(msgspec.Struct, frozen=True):
    secret: str
    otpauth_uri: str
    qr_svg: str


class TotpConfirmRequest(msgspec.Struct, frozen=True):
    code: TotpCode


class RecoveryCodesResponse(msgspec.Struct, frozen=True):
    recovery_codes: list[str]


class ReauthRequest(msgspec.Struct, frozen=True):
    password: Password
    code: OneTimeCode


class ProfileOut(msgspec.Struct, frozen=True):
    id: str
    email: str
    role: Role
    tier: Tier
    display_name: str
    timezone: str
    locale: str
    two_factor_enabled: bool
    devices: int


class ProfilePatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    display_name: Annotated[str, text(80)] | UnsetType = UNSET
    timezone: Annotated[str, text(64, min_length=1)] | UnsetType = UNSET
    locale: Annotated[str, text(35, min_length=2)] | UnsetType = UNSET

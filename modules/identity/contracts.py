"""Identity's published language: events other modules may subscribe to."""

from __future__ import annotations

from typing import ClassVar, Literal

from modules.kernel.events import IntegrationEvent

Role = Literal["trader", "admin"]
Tier = Literal["basic", "pro", "enterprise"]


class UserRegistered(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "identity.user-registered.v1"
    user_id: str
    role: Role
    tier: Tier


class UserSuspended(IntegrationEvent, frozen=True, kw_only=True):
    """An admin suspended the user: routing must refuse their orders from now on."""

    TOPIC: ClassVar[str] = "identity.user-suspended.v1"
    user_id: str
    reason: str
    # The admin who acted, for the audit log; optional so events published before the field
    # existed still decode under the same topic.
    actor_id: str | None = None


class UserReinstated(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "identity.user-reinstated.v1"
    user_id: str
    # The admin who acted, for the audit log; optional so events published before the field
    # existed still decode under the same topic.
    actor_id: str | None = None


class UserTierChanged(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "identity.user-tier-changed.v1"
    user_id: str
    tier: Tier
    # The admin who acted, for the audit log; optional so events published before the field
    # existed still decode under the same topic.
    actor_id: str | None = None


class UserProfileChanged(IntegrationEvent, frozen=True, kw_only=True):
    """A user's profile as it now stands (after registration or a change): read models need the
    time zone to cut days where the user lives."""

    TOPIC: ClassVar[str] = "identity.user-profile-changed.v1"
    user_id: str
    display_name: str
    timezone: str  # IANA name, e.g. "Europe/Berlin"
    locale: str


SecurityEventKind = Literal[
    "new_device", "two_factor_enabled", "two_factor_disabled", "password_changed", "lockout"
]


class SecurityEventRaised(IntegrationEvent, frozen=True, kw_only=True):
    """Something the user must hear about (the dashboard notifies them). Never carries secrets."""

    TOPIC: ClassVar[str] = "identity.security-event-raised.v1"
    user_id: str
    kind: SecurityEventKind
    detail: str = ""

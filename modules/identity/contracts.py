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

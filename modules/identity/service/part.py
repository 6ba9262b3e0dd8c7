"""What every identity use case works with: the runtime, its transactions, its repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from modules.identity.contracts import SecurityEventKind, SecurityEventRaised, UserProfileChanged
from modules.identity.repository.identity import IdentityRepository
from modules.identity.repository.users import UserRow
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork


class IdentityPart:
    def __init__(
        self,
        runtime: Runtime,
        unit_of_work: Callable[[], UnitOfWork],
        repo: IdentityRepository,
    ) -> None:
        self._runtime = runtime
        self._uow = unit_of_work
        self._repo = repo

    def _now(self) -> datetime:
        return self._runtime.clock()


def security_event(
    uow: UnitOfWork, user_id: uuid.UUID, kind: SecurityEventKind, detail: str = ""
) -> None:
    """Tell the user (through the dashboard) about something they must hear of; never secrets."""
    uow.publish(SecurityEventRaised(user_id=str(user_id), kind=kind, detail=detail))


def profile_changed(user: UserRow) -> UserProfileChanged:
    """The profile as it now stands, for read models that cut days in the user's time zone."""
    return UserProfileChanged(
        user_id=str(user.id),
        display_name=user.display_name,
        timezone=user.timezone,
        locale=user.locale,
    )

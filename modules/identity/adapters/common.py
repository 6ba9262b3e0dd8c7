"""Small rules shared by the identity use cases (service.py and its collaborators here)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from modules.identity.adapters.password_policy import policy_violation
from modules.identity.contracts import SecurityEventKind, SecurityEventRaised
from modules.kernel.errors import ProblemError
from modules.kernel.module import Runtime
from modules.kernel.outbox import UnitOfWork

if TYPE_CHECKING:  # the repository's modules import this one
    from modules.identity.repository import IdentityRepository

# The WHATWG (HTML `type=email`) address grammar, with at least one dot in the domain.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_EMAIL_LENGTH = 254


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > _MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise ProblemError(422, "invalid_email", "The email address is not valid")
    return email


def check_password_policy(password: str) -> None:
    reason = policy_violation(password)
    if reason is not None:
        raise ProblemError(422, "weak_password", reason)


def suspended() -> ProblemError:
    return ProblemError(403, "user_suspended", "This account is suspended; contact support")


def parse_uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError):
        return None


def security_event(
    uow: UnitOfWork, user_id: uuid.UUID, kind: SecurityEventKind, detail: str = ""
) -> None:
    uow.publish(SecurityEventRaised(user_id=str(user_id), kind=kind, detail=detail))


class IdentityPart:
    """What every identity collaborator works with: the runtime, its transactions, its queries."""

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

"""Refusals: the domain's way of saying no, free of HTTP.

Pure rules (risk limits, password policy, ...) and use cases raise `Refused` with a stable `code`,
a human `reason` and the `Kind` of refusal. The kernel's error handlers turn it into an RFC 9457
problem (`modules/kernel/errors.py`), so a rule never names a status code and can be reused by a
worker or a strategy that has no HTTP request at all.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Kind(Enum):
    """What sort of no; the kernel maps each to one HTTP status."""

    MALFORMED = 400
    UNAUTHENTICATED = 401
    FORBIDDEN = 403
    NOT_FOUND = 404
    CONFLICT = 409
    INVALID = 422
    TOO_MANY = 429
    UNAVAILABLE = 503


class Refused(Exception):
    """A rule refused what was asked: `code` is stable for clients, `reason` is for people."""

    def __init__(
        self,
        kind: Kind,
        code: str,
        reason: str,
        *,
        retry_after: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.code = code
        self.reason = reason
        self.retry_after = retry_after
        self.errors = errors

    def __repr__(self) -> str:
        return f"Refused({self.kind.name}, {self.code!r}, {self.reason!r})"

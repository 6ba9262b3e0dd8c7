"""Rules about accounts: who may act, and what an admin must say to suspend someone."""

from __future__ import annotations

import uuid

from modules.identity.domain.text import without_control
from modules.kernel.refusal import Kind, Refused


def parse_uuid(raw: str) -> uuid.UUID | None:
    """The id a client sent, or None when it is not one (treated like an unknown id)."""
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError):
        return None


def account_suspended() -> Refused:
    return Refused(Kind.FORBIDDEN, "user_suspended", "This account is suspended; contact support")


def account_gone() -> Refused:
    """A token outlived its account."""
    return Refused(
        Kind.UNAUTHENTICATED, "invalid_token", "The access token's account no longer exists"
    )


def invalid_credentials() -> Refused:
    # One wording for unknown email and wrong password, so the answer reveals neither.
    return Refused(
        Kind.UNAUTHENTICATED, "invalid_credentials", "The email address or password is not correct"
    )


def suspension_reason(raw: str, *, admin_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The reason as stored; an admin must give one, and may not suspend themselves."""
    reason = without_control(raw).strip()
    if not reason:
        raise Refused(Kind.INVALID, "reason_required", "Say why the account is suspended")
    if admin_id == user_id:
        raise Refused(Kind.CONFLICT, "cannot_suspend_self", "An admin cannot suspend themselves")
    return reason


def search_text(query: str | None) -> str | None:
    """An admin's account search, as matched against stored (lower-case) addresses."""
    return without_control(query).strip().lower() if query else None

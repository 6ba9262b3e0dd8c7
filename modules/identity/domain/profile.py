"""What a profile may hold: a display name, a language tag and a time zone name."""

from __future__ import annotations

import re

from modules.identity.domain.text import has_control, without_control
from modules.kernel.refusal import Kind, Refused

_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")


def display_name(raw: str) -> str:
    return without_control(raw).strip()


def locale(raw: str) -> str:
    if not _LOCALE.fullmatch(raw):
        raise Refused(Kind.INVALID, "invalid_locale", "Use a language tag such as en-GB")
    return raw


def invalid_timezone() -> Refused:
    return Refused(Kind.INVALID, "invalid_timezone", "Use an IANA time zone such as Europe/Paris")


def timezone_name(raw: str) -> str:
    """A name worth looking up in the time zone database (which the caller then does)."""
    if has_control(raw):
        raise invalid_timezone()
    return raw

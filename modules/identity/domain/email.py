"""Email addresses: the canonical form accounts are stored under, and the form sign-ins count."""

from __future__ import annotations

import re

from modules.identity.domain.text import without_control
from modules.kernel.refusal import Kind, Refused

# The WHATWG (HTML `type=email`) address grammar, with at least one dot in the domain.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_EMAIL_LENGTH = 254


def normalise_email(raw: str) -> str:
    """The address an account is registered under: trimmed, lower-case, well-formed."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise Refused(Kind.INVALID, "invalid_email", "The email address is not valid")
    return email


def login_address(raw: str) -> str:
    """The address a sign-in attempt is looked up and counted under.

    No format check: a malformed address is just another unknown account, and refusing it
    differently would tell the two apart. Control characters go, so every address can be stored
    in the failure count.
    """
    return without_control(raw).strip().lower()

"""The password policy: a length range and a list of the most common passwords.

The list (the 30,000 most frequent passwords of real breaches, as zxcvbn 4.5.0 ships it) is read
by an adapter and handed in. A candidate is refused when it is on the list ignoring case, or is
a listed password padded with digits and punctuation ("dragon2024!!!!" is still "dragon").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from modules.kernel.refusal import Kind, Refused

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


def parse_password_list(lines: Iterable[str]) -> frozenset[str]:
    """The passwords of a list file: one a line, blank lines and `#` comments skipped."""
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class PasswordPolicy:
    def __init__(self, common: frozenset[str]) -> None:
        self._common = common

    def violation(self, password: str) -> str | None:
        """Why `password` is refused, or None when it is acceptable."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            return (
                f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                "characters long"
            )
        lowered = password.lower()
        core = _PADDING.match(lowered)
        if lowered in self._common or (core is not None and core.group(1) in self._common):
            return "This password is too common; choose one that is not on breach lists"
        if len(set(lowered)) < 4:
            return "The password repeats too few distinct characters"
        return None

    def check(self, password: str) -> None:
        reason = self.violation(password)
        if reason is not None:
            raise Refused(Kind.INVALID, "weak_password", reason)

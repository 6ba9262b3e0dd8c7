"""The password policy: a length range and a list of the most common passwords.

The list (the 30,000 most frequent passwords of real breaches, as zxcvbn 4.5.0 ships it) is read
by an adapter and handed in. A candidate is refused when it is on the list ignoring case, or is
a listed password padded with digits and punctuation ("dragon2024!!!!" is still "dragon").
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator

from modules.kernel.refusal import Kind, Refused

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


class ListedPasswords:
    """A password list held as one newline-delimited string.

    Every process keeps the list for its whole life: 30,000 passwords take 240 KB this way and
    3.6 MB as a set of strings. A lookup scans the string (tens of microseconds); it runs once or
    twice when a password is set, beside a hash that takes hundreds of times longer.
    """

    __slots__ = ("_count", "_joined")

    def __init__(self, passwords: Iterable[str]) -> None:
        unique = sorted(set(passwords))
        self._count = len(unique)
        self._joined = "\n" + "\n".join(unique) + "\n"

    def __contains__(self, password: object) -> bool:
        return (
            isinstance(password, str)
            and bool(password)
            and "\n" not in password
            and f"\n{password}\n" in self._joined
        )

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined[1:-1].split("\n") if self._count else ())


def parse_password_list(lines: Iterable[str]) -> ListedPasswords:
    """The passwords of a list file: one a line, blank lines and `#` comments skipped."""
    return ListedPasswords(
        line.strip() for line in lines if line.strip() and not line.startswith("#")
    )


class PasswordPolicy:
    def __init__(self, common: Container[str]) -> None:
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

"""The password policy: a length range and a list of the most common passwords.

`common_passwords.txt` holds the 30,000 most frequent passwords of real breaches (the list
zxcvbn 4.5.0 ships, MIT licence), lower-case, one a line. A candidate is refused when it is on
the list ignoring case, or is a listed password padded with digits and punctuation
("dragon2024!!!!" is still "dragon").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
_LIST = Path(__file__).with_name("common_passwords.txt")
_PADDING = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with _LIST.open(encoding="utf-8") as handle:
        return frozenset(
            line.strip() for line in handle if line.strip() and not line.startswith("#")
        )


def policy_violation(password: str) -> str | None:
    """Why `password` is refused, or None when it is acceptable."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return (
            f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )
    lowered = password.lower()
    listed = common_passwords()
    core = _PADDING.match(lowered)
    if lowered in listed or (core is not None and core.group(1) in listed):
        return "This password is too common; choose one that is not on breach lists"
    if len(set(lowered)) < 4:
        return "The password repeats too few distinct characters"
    return None

"""Text typed by clients, made safe to store and compare."""

from __future__ import annotations

import re

# PostgreSQL text cannot hold NUL, and no name, label or reason needs a control character.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def without_control(text: str) -> str:
    return CONTROL.sub("", text)


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None

"""Refresh tokens are stored as digests: a database leak hands out no usable token."""

from __future__ import annotations

import hashlib


def digest_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain digest suffices (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()

"""TOTP (RFC 6238) codes and one-use recovery codes.

Which time step a code belongs to is pure arithmetic over the shared secret and a time the caller
passes in; drawing new secrets and codes (randomness) is the use case's job.
"""

from __future__ import annotations

import hashlib
import hmac

import pyotp

ISSUER = "NIJA"
TOTP_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def provisioning_uri(secret: str, account: str) -> str:
    """The `otpauth://` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def totp_step(secret: str, code: str, *, at: float) -> int | None:
    """The time step `code` is valid for at `at` (or one step either side, for clock drift)."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(at // TOTP_STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def recovery_code(raw: str) -> str:
    """Random characters as a recovery code shown to the user: `abcde-fghjk`."""
    return f"{raw[:5]}-{raw[5:]}"


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code; dashes, spaces and case do not matter."""
    # Codes carry ~49 random bits and are one-use, so a plain digest suffices (unlike passwords).
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"nija-recovery:{normalised}".encode()).hexdigest()

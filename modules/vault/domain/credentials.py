"""What a stored credential may be: a known venue, trimmed secrets, and the venue's verdict.

Rules here never see a secret's value in a message: a refusal names the field, not its content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from modules.kernel.refusal import Kind, Refused

VENUES: tuple[str, ...] = ("coinbase", "kraken", "binance")
MIN_SECRET_LENGTH = 8
MAX_SECRET_LENGTH = 512
Status = Literal["active", "revoked"]
Environment = Literal["simulated", "sandbox", "live"]
Verification = Literal["unverified", "pending", "verified", "refused"]


def check_venue(raw: str) -> str:
    venue = raw.strip().lower()
    if venue not in VENUES:
        raise Refused(
            Kind.INVALID,
            "unknown_venue",
            f"Unknown venue; supported venues are {', '.join(VENUES)}",
        )
    return venue


def clean_secret(name: str, value: str) -> str:
    """`value` without surrounding whitespace, refused when that leaves it out of bounds."""
    trimmed = value.strip()
    if not MIN_SECRET_LENGTH <= len(trimmed) <= MAX_SECRET_LENGTH:
        raise Refused(
            Kind.INVALID,
            "invalid_credential",
            f"{name} must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
            " without surrounding whitespace",
        )
    return trimmed


def clean_passphrase(passphrase: str | None) -> str | None:
    """A passphrase is optional, but one that is given must not be blank."""
    if passphrase is None:
        return None
    trimmed = passphrase.strip()
    if not trimmed:
        raise Refused(Kind.INVALID, "invalid_credential", "passphrase must not be blank")
    return trimmed


def clean_label(label: str | None) -> str | None:
    label = label.strip() if label is not None else None
    return label or None


def key_hint(api_key: str) -> str:
    """What the owner sees of a key: its last 4 characters."""
    return api_key[-4:]


def credential_not_found() -> Refused:
    # Same answer for "does not exist" and "belongs to someone else": existence never leaks.
    return Refused(Kind.NOT_FOUND, "credential_not_found", "No such credential")


def credential_revoked() -> Refused:
    return Refused(
        Kind.CONFLICT, "credential_revoked", "This credential is revoked; store a new one"
    )


def revoked_by(reason: str, user_id: str) -> str:
    """Who the audit log names for a revocation: the owner, or the vault's own rule."""
    return user_id if reason in ("user", "replaced") else "vault"


@dataclass(frozen=True)
class Verdict:
    """The venue's answer, judged: a key that fails or may withdraw funds is refused."""

    verified: bool
    refusal: str | None

    @property
    def verification(self) -> Verification:
        return "verified" if self.verified else "refused"


def judge_verification(ok: bool, permissions: Sequence[str], reason: str) -> Verdict:
    withdraws = "withdraw" in permissions
    if ok and not withdraws:
        return Verdict(verified=True, refusal=None)
    refusal = "the key may withdraw funds" if withdraws else (reason or "rejected")
    return Verdict(verified=False, refusal=refusal)

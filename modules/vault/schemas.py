"""HTTP request and response bodies of the vault API. The API is write-only for secrets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from modules.kernel.bounds import text
from modules.vault.domain.credentials import (
    MAX_SECRET_LENGTH,
    MIN_SECRET_LENGTH,
    Environment,
    Status,
    Verification,
)

MAX_LABEL_LENGTH = 64

# Bounds are re-checked after trimming whitespace (domain/credentials.py).
SecretValue = Annotated[str, text(MAX_SECRET_LENGTH, min_length=MIN_SECRET_LENGTH)]
Passphrase = Annotated[str, text(MAX_SECRET_LENGTH, min_length=1)]
Venue = Annotated[str, text(32, min_length=1, description="coinbase, kraken or binance")]
Label = Annotated[str, text(MAX_LABEL_LENGTH, description="Your name for the key")]


class StoreCredentialRequest(msgspec.Struct, frozen=True):
    venue: Venue
    api_key: SecretValue
    api_secret: SecretValue
    passphrase: Passphrase | None = None
    label: Label | None = None
    environment: Annotated[
        Environment, Meta(description="Where orders with this key go; the simulator by default")
    ] = "simulated"

    def __repr__(self) -> str:
        # Keeps the plaintext out of any traceback or debug print of the request body.
        return f"StoreCredentialRequest(venue={self.venue!r}, <secrets withheld>)"

    __str__ = __repr__


class RotateCredentialRequest(msgspec.Struct, frozen=True):
    api_key: SecretValue
    api_secret: SecretValue
    passphrase: Passphrase | None = None

    def __repr__(self) -> str:
        return "RotateCredentialRequest(<secrets withheld>)"

    __str__ = __repr__


class CredentialOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    venue: str
    label: str | None
    key_hint: Annotated[str, Meta(description="The last 4 characters of the API key")]
    status: Status
    version: int
    environment: Environment
    verification: Annotated[
        Verification, Meta(description="The venue's last word on the key; refused keys are revoked")
    ]
    permissions: Annotated[list[str], Meta(description="What the venue says the key may do")]
    refusal_reason: str | None
    created_at: datetime
    rotated_at: datetime | None
    verified_at: datetime | None
    balances: Annotated[
        dict[str, Decimal],
        Meta(description="What the account held at the last verification: total per asset"),
    ] = {}
    markets: Annotated[
        int, Meta(description="How many markets the platform can trade there (at verification)")
    ] = 0


class VerificationRequested(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    credential_id: str
    verification: Literal["pending"] = "pending"


class AuditEntryOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    user_id: str
    action: str
    actor_id: str | None
    credential_id: str | None
    venue: str | None
    at: datetime
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AuditEntryOut]
    next_before: Annotated[int | None, Meta(description="Pass as `before` for older entries")]


class ChainReportOut(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: Annotated[int, Meta(description="Entries whose link held before the first break")]
    first_broken_id: int | None
    reason: str | None

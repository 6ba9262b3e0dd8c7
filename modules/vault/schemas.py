"""HTTP request and response bodies of the vault API. The API is write-only for secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

MIN_SECRET_LENGTH = 8
MAX_SECRET_LENGTH = 512
MAX_LABEL_LENGTH = 64

# Bounds are re-checked after trimming whitespace (service.clean_material).
SecretValue = Annotated[str, Meta(min_length=MIN_SECRET_LENGTH, max_length=MAX_SECRET_LENGTH)]
Passphrase = Annotated[str, Meta(min_length=1, max_length=MAX_SECRET_LENGTH)]
Venue = Annotated[str, Meta(min_length=1, max_length=32, description="coinbase, kraken or binance")]
Label = Annotated[str, Meta(max_length=MAX_LABEL_LENGTH, description="Your name for the key")]
Status = Literal["active", "revoked"]


class StoreCredentialRequest(msgspec.Struct, frozen=True):
    venue: Venue
    api_key: SecretValue
    api_secret: SecretValue
    passphrase: Passphrase | None = None
    label: Label | None = None

    def __repr__(self) -> str:
        # Keeps the plaintext out of any traceback or debug print of the request body.
        return f"StoreCredentialRequest(venue={self.venue!r}, <secrets withheld>)"

    __str__ = __repr__


class CredentialOut(msgspec.Struct, frozen=True):
    id: str
    venue: str
    label: str | None
    key_hint: Annotated[str, Meta(description="The last 4 characters of the API key")]
    status: Status
    version: int
    created_at: datetime

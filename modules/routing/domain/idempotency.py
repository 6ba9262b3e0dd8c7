"""Idempotency keys: which keys are valid, what a request's fingerprint is, when a replay may go.

A repeat of a request under the same key replays the first response; the fingerprint tells a
true repeat from a different order sent under a reused key.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

from modules.kernel.refusal import Kind, Refused
from modules.routing.domain.venue_scoring import Intent

_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def check_key(key: str) -> None:
    if not _IDEMPOTENCY_KEY.match(key):
        raise Refused(
            Kind.MALFORMED,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        )


def request_hash(intent: Intent, signal: str = "entry") -> str:
    """Fingerprint of what was asked, insensitive to how numbers were spelled (1.50 == 1.5)."""
    canonical = (
        intent.symbol,
        intent.side,
        intent.order_type,
        str(intent.quantity.normalize()),
        None if intent.limit_price is None else str(intent.limit_price.normalize()),
        *(() if signal == "entry" else (signal,)),
    )
    return hashlib.sha256(msgspec.json.encode(canonical)).hexdigest()


def check_replay(stored_hash: str, fingerprint: str, *, completed: bool) -> None:
    """Refuse to replay a key stored for another request, or one whose request is still running."""
    if stored_hash != fingerprint:
        raise Refused(
            Kind.INVALID,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different order",
        )
    if not completed:
        raise Refused(Kind.CONFLICT, "idempotency_key_in_use", "Retry: this key is being used now")


def key_in_use() -> Refused:
    """Another request took the key and its response cannot be read yet: the client retries."""
    return Refused(
        Kind.CONFLICT, "idempotency_key_in_use", "Retry: this key is being used right now"
    )

"""The kernel's ports: the two that modules talk through (pub/sub and state) and the transit
keyring that seals secrets, with the values they exchange.

Adapters: `adapters.memory_bus` / `adapters.dapr_pubsub` for pub/sub, `adapters.pg_state` /
`adapters.dapr_state` for state, `adapters.local_keyring` / `adapters.vault_transit` for the
keyring. `app.py` picks them.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

import msgspec

from modules.kernel.events import CloudEvent


class Delivery(enum.StrEnum):
    """A subscriber's verdict on one delivery, matching Dapr's app response statuses."""

    SUCCESS = "SUCCESS"
    RETRY = "RETRY"
    DROP = "DROP"


EnvelopeHandler = Callable[[CloudEvent], Awaitable[Delivery]]


class RetryLater(Exception):
    """Not a fault: what the event needs is not there yet (say, a credential still on its way).

    A handler raises it to have the bus redeliver after a backoff; the adapters log it as a
    retry, not as a failure with a traceback.
    """


@runtime_checkable
class PubSub(Protocol):
    """At-least-once publish/subscribe of CloudEvent envelopes."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, envelope: CloudEvent) -> None: ...

    def subscribe(self, topic: str, subscriber: str, handler: EnvelopeHandler) -> None:
        """Register `handler` as `subscriber` of `topic`. Each subscriber gets every message."""
        ...

    def topics(self) -> list[str]: ...

    async def ping(self) -> bool: ...


class EtagMismatch(Exception):
    """A conditional state write lost: somebody else wrote the key since it was read."""


class StateItem(msgspec.Struct, frozen=True):
    key: str
    value: bytes
    etag: str


@runtime_checkable
class StateStore(Protocol):
    """Key/value state with optimistic concurrency, scoped to one module (key prefix)."""

    async def get(self, key: str) -> StateItem | None: ...

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        """The stored items of `keys` in one round trip, by key; a missing key is left out."""
        ...

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> str | None:
        """Write `value`. With `etag`, only if the stored etag still matches; with
        `create_only`, only if the key does not exist yet (else EtagMismatch). Without either,
        last write wins. Returns the item's new etag when the store answers with it (None: only
        a read tells it)."""
        ...

    async def delete(self, key: str, *, etag: str | None = None) -> None: ...


StateFactory = Callable[[str], StateStore]


class KeyringError(Exception):
    """A ciphertext could not be opened (wrong key, wrong context, tampered, or too old)."""


class TransitKeyInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What Vault's `GET transit/keys/:name` reports about a key's versions."""

    latest_version: int
    min_decryption_version: int


@runtime_checkable
class Keyring(Protocol):
    def encrypt(self, key_name: str, plaintext: bytes, *, context: bytes = b"") -> str: ...

    def decrypt(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> bytes: ...

    def rotate(self, key_name: str) -> int: ...

    def rewrap(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> str: ...

    def key_info(self, key_name: str) -> TransitKeyInfo: ...

    def set_min_decryption_version(self, key_name: str, version: int) -> None: ...

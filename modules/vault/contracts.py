"""Vault's published language.

`CredentialStored` carries the credential *sealed* (AES-256-GCM under the user's data key, which
is itself wrapped by the transit key), never the plaintext: execution keeps its own sealed copy
and unseals it in memory at signing time.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from modules.kernel.events import IntegrationEvent
from modules.kernel.sealing import SealedSecret


class CredentialStored(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "vault.credential-stored.v1"
    credential_id: str
    user_id: str
    venue: str
    key_hint: str
    version: int
    sealed: SealedSecret
    # Where orders with this key go: the simulated venue, or the real exchange through ccxt.
    environment: Literal["simulated", "sandbox", "live"] = "simulated"


class CredentialRevoked(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "vault.credential-revoked.v1"
    credential_id: str
    user_id: str
    venue: str


class CredentialVerificationRequested(IntegrationEvent, frozen=True, kw_only=True):
    """Vault asks execution to check a stored key with its venue (permissions, validity)."""

    TOPIC: ClassVar[str] = "vault.credential-verification-requested.v1"
    request_id: str
    credential_id: str
    user_id: str
    venue: str


class UserDataKeyRewrapped(IntegrationEvent, frozen=True, kw_only=True):
    """A user's data key was rewrapped under a newer transit key version (same data key).

    Holders of sealed copies may swap `wrapped_data_key` into them, after which an operator can
    raise the transit key's minimum decryption version without breaking those copies. The
    wrapped key is ciphertext under the transit key, as in `CredentialStored.sealed`.
    """

    TOPIC: ClassVar[str] = "vault.user-data-key-rewrapped.v1"
    user_id: str
    previous_wrapped_data_key: str
    wrapped_data_key: str
    transit_version: int

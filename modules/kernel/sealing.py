"""Envelope encryption of exchange credentials.

A per-user data key (AES-256) seals each credential with AES-256-GCM; the associated data binds
the blob to its user and venue, so a blob copied to another user's row fails to open. The data
key itself is stored only wrapped by the transit key (`Keyring`), in Vault Transit's format.
"""

from __future__ import annotations

import base64
import secrets

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from modules.kernel.ports import Keyring, KeyringError

TRANSIT_KEY = "nija-credentials"


class SealedSecret(msgspec.Struct, frozen=True, kw_only=True):
    ciphertext: str  # base64(nonce || AES-GCM(plaintext))
    wrapped_data_key: str  # "vault:vN:..." from the transit keyring


class CredentialMaterial(msgspec.Struct, frozen=True, kw_only=True):
    """The plaintext. Lives only in memory, only while sealing or signing."""

    api_key: str
    api_secret: str
    passphrase: str | None = None

    def __repr__(self) -> str:
        return "CredentialMaterial(<sealed>)"

    __str__ = __repr__


class UnsealError(Exception):
    pass


def _aad(user_id: str, venue: str) -> bytes:
    return f"nija:{user_id}:{venue}".encode()


def new_wrapped_data_key(keyring: Keyring, user_id: str) -> str:
    return keyring.encrypt(TRANSIT_KEY, secrets.token_bytes(32), context=user_id.encode())


def seal(
    keyring: Keyring, wrapped_data_key: str, user_id: str, venue: str, material: CredentialMaterial
) -> SealedSecret:
    data_key = keyring.decrypt(TRANSIT_KEY, wrapped_data_key, context=user_id.encode())
    nonce = secrets.token_bytes(12)
    body = AESGCM(data_key).encrypt(nonce, msgspec.json.encode(material), _aad(user_id, venue))
    return SealedSecret(
        ciphertext=base64.b64encode(nonce + body).decode(), wrapped_data_key=wrapped_data_key
    )


def unseal(keyring: Keyring, sealed: SealedSecret, user_id: str, venue: str) -> CredentialMaterial:
    try:
        data_key = keyring.decrypt(TRANSIT_KEY, sealed.wrapped_data_key, context=user_id.encode())
        raw = base64.b64decode(sealed.ciphertext, validate=True)
        plain = AESGCM(data_key).decrypt(raw[:12], raw[12:], _aad(user_id, venue))
    except (KeyringError, InvalidTag, ValueError):
        raise UnsealError("credential does not open for this user and venue") from None
    return msgspec.json.decode(plain, type=CredentialMaterial)

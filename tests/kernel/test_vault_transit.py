"""The Vault Transit keyring adapter (hvac, AppRole) against an HTTP double of Vault's API."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from modules.kernel.adapters.vault_transit import VaultTransitKeyring, VaultUnavailable
from modules.kernel.ports import KeyringError
from modules.kernel.sealing import (
    CredentialMaterial,
    UnsealError,
    new_wrapped_data_key,
    seal,
    unseal,
)
from tests.fakes.vault_server import FakeVault

ROLE_ID = "nija-role"
SECRET_ID = "approle-secret-id-9f2c41d7"


@pytest.fixture
def vault() -> Iterator[FakeVault]:
    fake = FakeVault(ROLE_ID, SECRET_ID, ttl=60, max_ttl=600)
    fake.url = fake.serve()  # type: ignore[attr-defined]
    yield fake
    fake.close()


def _keyring(vault: FakeVault, **kwargs: object) -> VaultTransitKeyring:
    return VaultTransitKeyring(
        vault.url,  # type: ignore[attr-defined]
        role_id=ROLE_ID,
        secret_id=str(kwargs.pop("secret_id", SECRET_ID)),
        **kwargs,  # type: ignore[arg-type]
    )


def test_approle_login_then_encrypt_decrypt_with_context(vault: FakeVault) -> None:
    keyring = _keyring(vault)
    wrapped = keyring.encrypt("nija-credentials", b"\x01" * 32, context=b"user-a")
    assert wrapped.startswith("vault:v1:")
    assert keyring.decrypt("nija-credentials", wrapped, context=b"user-a") == b"\x01" * 32
    assert vault.calls[0] == "POST /v1/auth/approle/login" and keyring.logins == 1
    # The key was created derived, so another context (another user) does not open it.
    assert vault.keys["nija-credentials"].derived
    with pytest.raises(KeyringError, match="authentication failed"):
        keyring.decrypt("nija-credentials", wrapped, context=b"user-b")
    with pytest.raises(KeyringError):
        keyring.decrypt("nija-credentials", "vault:v1:AAAA", context=b"user-a")


def test_calls_without_a_valid_token_are_refused_by_the_double(vault: FakeVault) -> None:
    import httpx

    url = vault.url  # type: ignore[attr-defined]
    refused = httpx.post(f"{url}/v1/transit/encrypt/k", json={"plaintext": "AA=="})
    assert refused.status_code == 403 and refused.json() == {"errors": ["permission denied"]}
    forged = httpx.get(f"{url}/v1/transit/keys/k", headers={"X-Vault-Token": "hvs.forged"})
    assert forged.status_code == 403


def test_rotate_rewrap_and_min_decryption_version(vault: FakeVault) -> None:
    keyring = _keyring(vault)
    old = keyring.encrypt("k", b"data key", context=b"u")
    assert keyring.rotate("k") == 2
    assert keyring.key_info("k").latest_version == 2
    new = keyring.rewrap("k", old, context=b"u")
    assert new.startswith("vault:v2:") and old.startswith("vault:v1:")
    assert keyring.decrypt("k", new, context=b"u") == b"data key"
    assert keyring.encrypt("k", b"x", context=b"u").startswith("vault:v2:")

    keyring.set_min_decryption_version("k", 2)
    info = keyring.key_info("k")
    assert (info.latest_version, info.min_decryption_version) == (2, 2)
    with pytest.raises(KeyringError, match="too old"):
        keyring.decrypt("k", old, context=b"u")
    assert keyring.decrypt("k", new, context=b"u") == b"data key"
    with pytest.raises(KeyringError):
        keyring.set_min_decryption_version("k", 5)


def test_token_is_renewed_at_half_life_and_replaced_after_max_ttl(vault: FakeVault) -> None:
    vault.ttl, vault.max_ttl = 10, 25
    now = [1000.0]
    keyring = _keyring(vault, clock=lambda: now[0])
    keyring.encrypt("k", b"a", context=b"u")
    assert (keyring.logins, keyring.renewals) == (1, 0)
    now[0] += 6  # past half of the 10 s lease
    keyring.encrypt("k", b"a", context=b"u")
    assert (keyring.logins, keyring.renewals) == (1, 1)
    assert "POST /v1/auth/token/renew-self" in vault.calls
    # Once the max TTL is spent, Vault refuses renewal: the adapter logs in again.
    for token in vault.tokens.values():
        token.max_expires = time.monotonic()
    now[0] += 6
    keyring.encrypt("k", b"a", context=b"u")
    assert keyring.logins == 2


def test_a_token_revoked_under_us_gets_one_fresh_login(vault: FakeVault) -> None:
    keyring = _keyring(vault)
    keyring.encrypt("k", b"a", context=b"u")
    vault.tokens.clear()  # e.g. an operator revoked it
    assert keyring.decrypt("k", keyring.encrypt("k", b"b", context=b"u"), context=b"u") == b"b"
    assert keyring.logins == 2


def test_bad_secret_id_fails_without_echoing_it(
    vault: FakeVault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-secret-id-5d1e0a"
    keyring = _keyring(vault, secret_id=wrong)
    with pytest.raises(VaultUnavailable) as caught:
        keyring.encrypt("k", b"a", context=b"u")
    assert wrong not in str(caught.value) and wrong not in repr(keyring)
    assert wrong not in caplog.text and SECRET_ID not in caplog.text


def test_unreachable_vault_is_unavailable() -> None:
    keyring = VaultTransitKeyring(
        "http://127.0.0.1:9", role_id=ROLE_ID, secret_id=SECRET_ID, timeout=0.5
    )
    with pytest.raises(VaultUnavailable):
        keyring.encrypt("k", b"a", context=b"u")


def test_credential_envelope_seals_and_unseals_through_vault(vault: FakeVault) -> None:
    keyring = _keyring(vault)
    material = CredentialMaterial(api_key="key-0123456789", api_secret="secret-abcdefgh")
    wrapped = new_wrapped_data_key(keyring, "alice")
    sealed = seal(keyring, wrapped, "alice", "kraken", material)
    assert unseal(keyring, sealed, "alice", "kraken") == material
    with pytest.raises(UnsealError):
        unseal(keyring, sealed, "bob", "kraken")
    keyring.rotate("nija-credentials")
    rewrapped = keyring.rewrap("nija-credentials", wrapped, context=b"alice")
    moved = type(sealed)(ciphertext=sealed.ciphertext, wrapped_data_key=rewrapped)
    assert unseal(keyring, moved, "alice", "kraken") == material

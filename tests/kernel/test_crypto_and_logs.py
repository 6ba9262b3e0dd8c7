"""Transit keyring, credential sealing and log redaction."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from modules.kernel.adapters.local_keyring import LocalTransitKeyring
from modules.kernel.logs import JsonFormatter, register_secret
from modules.kernel.ports import KeyringError
from modules.kernel.sealing import (
    CredentialMaterial,
    UnsealError,
    new_wrapped_data_key,
    seal,
    unseal,
)
from modules.kernel.settings import load_settings


def test_keyring_file_is_private_and_ciphertexts_use_vault_format(tmp_path: Path) -> None:
    keyring = LocalTransitKeyring(str(tmp_path / "keys.json"))
    ciphertext = keyring.encrypt("k", b"payload", context=b"user-1")
    assert ciphertext.startswith("vault:v1:")
    assert stat.S_IMODE(os.stat(tmp_path / "keys.json").st_mode) == 0o600
    assert keyring.decrypt("k", ciphertext, context=b"user-1") == b"payload"
    with pytest.raises(KeyringError):
        keyring.decrypt("k", ciphertext, context=b"user-2")


def test_rotation_keeps_old_versions_readable_and_rewrap_moves_to_latest(tmp_path: Path) -> None:
    keyring = LocalTransitKeyring(str(tmp_path / "keys.json"))
    old = keyring.encrypt("k", b"x")
    assert keyring.rotate("k") == 2
    reopened = LocalTransitKeyring(str(tmp_path / "keys.json"))
    assert reopened.decrypt("k", old) == b"x"
    rewrapped = reopened.rewrap("k", old)
    assert rewrapped.startswith("vault:v2:") and reopened.decrypt("k", rewrapped) == b"x"
    with pytest.raises(KeyringError):
        reopened.decrypt("k", "vault:v1:" + "A" * 40)


def test_sealed_credential_opens_only_for_its_user_and_venue(tmp_path: Path) -> None:
    keyring = LocalTransitKeyring(str(tmp_path / "keys.json"))
    material = CredentialMaterial(api_key="AKIA-EXAMPLE-1234", api_secret="s3cr3t-value-abcdef")
    wrapped = new_wrapped_data_key(keyring, "user-a")
    sealed = seal(keyring, wrapped, "user-a", "kraken", material)
    assert "s3cr3t" not in sealed.ciphertext and "s3cr3t" not in repr(material)
    assert unseal(keyring, sealed, "user-a", "kraken") == material
    for user, venue in (("user-b", "kraken"), ("user-a", "binance")):
        with pytest.raises(UnsealError):
            unseal(keyring, sealed, user, venue)


def _render(record_msg: str, **extra: object) -> dict[str, object]:
    record = logging.makeLogRecord({"msg": record_msg, "levelname": "INFO", "name": "t"})
    for key, value in extra.items():
        setattr(record, key, value)
    rendered: dict[str, object] = json.loads(JsonFormatter().format(record))
    return rendered


def test_logs_mask_secret_fields_tokens_and_registered_values() -> None:
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"
    entry = _render(
        f"login with Bearer {jwt_like}", password="hunter2-hunter2", api_key="AKIA123456"
    )
    text = json.dumps(entry)
    assert "hunter2" not in text and "AKIA123456" not in text and jwt_like not in text
    handle = register_secret("plain-secret-xyz-987")
    assert "plain-secret-xyz-987" not in json.dumps(_render("sealing plain-secret-xyz-987 now"))
    del handle


def test_settings_read_from_environment_and_reject_unknown_modules() -> None:
    settings = load_settings({"NIJA_MODULES": "routing,execution", "NIJA_BUS_MAX_ATTEMPTS": "3"})
    assert settings.modules == ("routing", "execution") and settings.bus_max_attempts == 3
    with pytest.raises(ValueError, match="unknown modules"):
        load_settings({"NIJA_MODULES": "routing,payments"})


def test_processes_sharing_a_key_file_never_overwrite_each_others_keys(tmp_path: Path) -> None:
    path = str(tmp_path / "keys.json")
    # Both "processes" start before any key exists, as split-out modules do on a fresh deploy.
    front, back = LocalTransitKeyring(path), LocalTransitKeyring(path)
    sealed_by_front = front.encrypt("k", b"data key", context=b"u")
    assert back.decrypt("k", sealed_by_front, context=b"u") == b"data key"
    sealed_by_back = back.encrypt("k", b"another", context=b"u")
    assert back.rotate("k") == 2
    assert front.rotate("k") == 3, "the second rotation builds on the first, not on a stale copy"
    for keyring in (front, back, LocalTransitKeyring(path)):
        assert keyring.decrypt("k", sealed_by_front, context=b"u") == b"data key"
        assert keyring.decrypt("k", sealed_by_back, context=b"u") == b"another"

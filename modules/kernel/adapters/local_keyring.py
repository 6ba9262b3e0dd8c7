"""The local transit keyring: the embedded default adapter of the `Keyring` port.

It keeps AES-256-GCM key versions in a 0600 file and produces ciphertexts in HashiCorp Vault
Transit's own format (`vault:v<N>:<base64>`), so moving to Vault Transit changes the adapter, not
the stored data's shape.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from modules.kernel.ports import KeyringError, TransitKeyInfo


class _KeyVersions(msgspec.Struct, kw_only=True):
    """One named key in the file: base64 AES-256 keys by version number (as a string)."""

    latest: int
    min_decryption_version: int
    versions: dict[str, str]


_KeyFile = dict[str, _KeyVersions]


class LocalTransitKeyring:
    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._mtime = self._stat()
        self._keys: _KeyFile = self._load()

    def _stat(self) -> int:
        try:
            return os.stat(self._path).st_mtime_ns
        except FileNotFoundError:
            return 0

    def _reload_if_changed(self) -> None:
        # Another process (`nija vault rotate-keys`) may have rotated the key: pick it up
        # without a restart, so its rewrapped data keys open here at once.
        mtime = self._stat()
        if mtime != self._mtime:
            with self._lock:
                self._mtime = mtime
                self._keys = self._load()

    def _load(self) -> _KeyFile:
        try:
            with open(self._path, "rb") as handle:
                return msgspec.json.decode(handle.read(), type=_KeyFile)
        except FileNotFoundError:
            return {}

    def _save(self) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(self._path)), exist_ok=True)
        tmp = f"{self._path}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(msgspec.json.encode(self._keys))
        os.replace(tmp, self._path)
        self._mtime = self._stat()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the key file exclusively, with `_keys` freshly read from it.

        Replicas, split-out modules and `nija vault rotate-keys` may share one key file: every
        change re-reads it under an flock, so no process overwrites a key another one created.
        """
        os.makedirs(os.path.dirname(os.path.abspath(self._path)), exist_ok=True)
        with self._lock, open(f"{self._path}.lock", "a", encoding="utf-8") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                self._keys = self._load()
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _key(self, key_name: str) -> _KeyVersions:
        self._reload_if_changed()
        if key_name in self._keys:
            return self._keys[key_name]
        with self._locked():
            if key_name not in self._keys:
                self._keys[key_name] = _KeyVersions(
                    latest=1,
                    min_decryption_version=1,
                    versions={"1": base64.b64encode(secrets.token_bytes(32)).decode()},
                )
                self._save()
            return self._keys[key_name]

    def encrypt(self, key_name: str, plaintext: bytes, *, context: bytes = b"") -> str:
        key = self._key(key_name)
        version, versions = key.latest, key.versions
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(base64.b64decode(versions[str(version)])).encrypt(
            nonce, plaintext, context or None
        )
        return f"vault:v{version}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> bytes:
        key = self._key(key_name)
        try:
            prefix, version_tag, body = ciphertext.split(":", 2)
            version = int(version_tag.removeprefix("v"))
            raw = base64.b64decode(body, validate=True)
        except ValueError:
            raise KeyringError("malformed ciphertext") from None
        versions = key.versions
        if prefix != "vault" or str(version) not in versions:
            raise KeyringError("unknown key version")
        if version < key.min_decryption_version:
            raise KeyringError("key version is below the minimum decryption version")
        try:
            return AESGCM(base64.b64decode(versions[str(version)])).decrypt(
                raw[:12], raw[12:], context or None
            )
        except InvalidTag:
            raise KeyringError("ciphertext does not open under this key and context") from None

    def rotate(self, key_name: str) -> int:
        self._key(key_name)
        with self._locked():
            key = self._keys[key_name]
            latest = key.latest + 1
            key.versions[str(latest)] = base64.b64encode(secrets.token_bytes(32)).decode()
            key.latest = latest
            self._save()
        return latest

    def rewrap(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> str:
        return self.encrypt(
            key_name, self.decrypt(key_name, ciphertext, context=context), context=context
        )

    def key_info(self, key_name: str) -> TransitKeyInfo:
        key = self._key(key_name)
        return TransitKeyInfo(
            latest_version=key.latest, min_decryption_version=key.min_decryption_version
        )

    def set_min_decryption_version(self, key_name: str, version: int) -> None:
        self._key(key_name)
        with self._locked():
            key = self._keys[key_name]
            if not 1 <= version <= key.latest:
                raise KeyringError("min decryption version must be between 1 and the latest")
            key.min_decryption_version = version
            self._save()

"""The `Keyring` port on HashiCorp Vault Transit, through `hvac` with AppRole login.

Transit keys are created `derived` (the context, our user id, selects a per-user derived key),
so a data key wrapped for one user does not unwrap under another user's context. The token from
the AppRole login is renewed once half its lease has passed, and replaced by a fresh login when
renewal is refused (max TTL reached, token revoked). The AppRole secret id is never logged and
never appears in an error message.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import hvac
from hvac import exceptions as vault_errors

from modules.kernel.ports import KeyringError, TransitKeyInfo

log = logging.getLogger("nija.keyring.vault")
_REQUEST_FAILURES = (vault_errors.InvalidRequest, vault_errors.InvalidPath)


class VaultUnavailable(KeyringError):
    """Vault could not be reached or refused our credentials (not a bad ciphertext)."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


class VaultTransitKeyring:
    def __init__(
        self,
        addr: str,
        *,
        role_id: str,
        secret_id: str,
        mount: str = "transit",
        namespace: str | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = hvac.Client(url=addr, namespace=namespace, timeout=timeout)
        self._role_id = role_id
        self._secret_id = secret_id
        self._mount = mount
        self._clock = clock
        self._token_lock = threading.Lock()
        self._renew_at = 0.0
        self._renewable = False
        self._known_keys: set[str] = set()
        self.logins = 0
        self.renewals = 0

    def __repr__(self) -> str:
        return f"VaultTransitKeyring({self._client.url!r}, mount={self._mount!r})"

    # -- token lifecycle ------------------------------------------------------------------
    def _login(self) -> None:
        try:
            response = self._client.auth.approle.login(
                role_id=self._role_id, secret_id=self._secret_id
            )
        except (vault_errors.VaultError, OSError) as error:
            # The exception text may echo the request; keep only its class.
            raise VaultUnavailable(f"AppRole login failed ({type(error).__name__})") from None
        self._adopt(response["auth"])
        self.logins += 1
        log.info("vault approle login", extra={"lease_seconds": response["auth"]["lease_duration"]})

    def _adopt(self, auth: dict[str, Any]) -> None:
        if auth.get("client_token"):
            self._client.token = auth["client_token"]
        lease = float(auth.get("lease_duration") or 0)
        self._renewable = bool(auth.get("renewable"))
        # Renew at half-life, as Vault Agent does; a zero lease (root-like token) never expires.
        self._renew_at = self._clock() + lease / 2 if lease else float("inf")

    def _ensure_token(self) -> None:
        with self._token_lock:
            if self._client.token and self._clock() < self._renew_at:
                return
            if self._client.token and self._renewable:
                try:
                    self._adopt(self._client.auth.token.renew_self()["auth"])
                    self.renewals += 1
                    return
                except (vault_errors.VaultError, OSError):
                    log.info("vault token renewal refused; logging in again")
            self._login()

    def _call(self, operation: Callable[[], Any]) -> Any:
        self._ensure_token()
        try:
            return operation()
        except vault_errors.Forbidden:
            # The token was revoked or expired early: one fresh login, then give up.
            with self._token_lock:
                self._login()
            return operation()

    def _ensure_key(self, key_name: str) -> None:
        if key_name in self._known_keys:
            return
        transit = self._client.secrets.transit
        try:
            self._call(lambda: transit.read_key(name=key_name, mount_point=self._mount))
        except vault_errors.InvalidPath:
            self._call(
                lambda: transit.create_key(
                    name=key_name, derived=True, key_type="aes256-gcm96", mount_point=self._mount
                )
            )
        self._known_keys.add(key_name)

    # -- the Keyring port -----------------------------------------------------------------
    def encrypt(self, key_name: str, plaintext: bytes, *, context: bytes = b"") -> str:
        self._ensure_key(key_name)
        transit = self._client.secrets.transit
        response = self._guarded(
            lambda: transit.encrypt_data(
                name=key_name,
                plaintext=_b64(plaintext),
                context=_b64(context) if context else None,
                mount_point=self._mount,
            )
        )
        return str(response["data"]["ciphertext"])

    def decrypt(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> bytes:
        transit = self._client.secrets.transit
        response = self._guarded(
            lambda: transit.decrypt_data(
                name=key_name,
                ciphertext=ciphertext,
                context=_b64(context) if context else None,
                mount_point=self._mount,
            )
        )
        return base64.b64decode(response["data"]["plaintext"])

    def rewrap(self, key_name: str, ciphertext: str, *, context: bytes = b"") -> str:
        transit = self._client.secrets.transit
        response = self._guarded(
            lambda: transit.rewrap_data(
                name=key_name,
                ciphertext=ciphertext,
                context=_b64(context) if context else None,
                mount_point=self._mount,
            )
        )
        return str(response["data"]["ciphertext"])

    def rotate(self, key_name: str) -> int:
        self._ensure_key(key_name)
        transit = self._client.secrets.transit
        self._guarded(lambda: transit.rotate_key(name=key_name, mount_point=self._mount))
        return self.key_info(key_name).latest_version

    def key_info(self, key_name: str) -> TransitKeyInfo:
        self._ensure_key(key_name)
        transit = self._client.secrets.transit
        data = self._guarded(lambda: transit.read_key(name=key_name, mount_point=self._mount))
        return TransitKeyInfo(
            latest_version=int(data["data"]["latest_version"]),
            min_decryption_version=int(data["data"]["min_decryption_version"]),
        )

    def set_min_decryption_version(self, key_name: str, version: int) -> None:
        transit = self._client.secrets.transit
        self._guarded(
            lambda: transit.update_key_configuration(
                name=key_name, min_decryption_version=version, mount_point=self._mount
            )
        )

    def _guarded(self, operation: Callable[[], Any]) -> Any:
        """Vault's 4xx answers become `KeyringError`; transport failures `VaultUnavailable`."""
        try:
            return self._call(operation)
        except _REQUEST_FAILURES as error:
            raise KeyringError(f"vault transit refused the request: {_reason(error)}") from None
        except (vault_errors.VaultError, OSError) as error:
            raise VaultUnavailable(f"vault transit unavailable ({type(error).__name__})") from None


def _reason(error: Exception) -> str:
    # Vault's error strings name the failure (auth tag, version too old), never the payload.
    errors = getattr(error, "errors", None)
    return "; ".join(str(e) for e in errors)[:200] if errors else type(error).__name__

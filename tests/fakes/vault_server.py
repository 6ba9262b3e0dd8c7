"""An HTTP double of HashiCorp Vault's documented AppRole and Transit APIs.

Speaks Vault's JSON shapes (`{"auth": {...}}`, `{"data": {...}}`, `{"errors": [...]}`) on a
loopback port, checks `X-Vault-Token` on every call but the login, issues tokens with a TTL and
a max TTL (renew-self extends up to the max, then refuses), and implements Transit's derived
AES-256-GCM keys with versions, rotation, rewrap and `min_decryption_version`. Ciphertexts are
`vault:v<N>:<base64(nonce || ciphertext)>` and plaintexts travel base64-encoded, as in Vault.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@dataclass
class TransitKey:
    derived: bool
    versions: dict[int, bytes] = field(default_factory=dict)
    created: dict[int, int] = field(default_factory=dict)
    min_decryption_version: int = 1

    @property
    def latest(self) -> int:
        return max(self.versions)

    def add_version(self) -> None:
        version = len(self.versions) + 1
        self.versions[version] = secrets.token_bytes(32)
        self.created[version] = int(time.time())

    def material(self, version: int, context: bytes | None) -> bytes:
        if not self.derived:
            return self.versions[version]
        return HKDF(hashes.SHA256(), 32, salt=None, info=context or b"").derive(
            self.versions[version]
        )


@dataclass
class Token:
    expires: float
    max_expires: float
    ttl: int


class VaultProblem(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        self.status, self.errors = status, list(errors)


class FakeVault:
    """State of the double; `serve()` starts it on a free loopback port."""

    def __init__(self, role_id: str, secret_id: str, *, ttl: int = 60, max_ttl: int = 600) -> None:
        self.role_id, self.secret_id = role_id, secret_id
        self.ttl, self.max_ttl = ttl, max_ttl
        self.keys: dict[str, TransitKey] = {}
        self.tokens: dict[str, Token] = {}
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- routing ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, token: str | None, body: dict[str, Any]) -> Any:
        self.calls.append(f"{method} {path}")
        if method == "POST" and path == "/v1/auth/approle/login":
            return self.login(body)
        self.check_token(token)
        if path == "/v1/auth/token/renew-self" and method in ("POST", "PUT"):
            return self.renew(token or "")
        if path == "/v1/auth/token/lookup-self" and method == "GET":
            return self.lookup(token or "")
        match = re.fullmatch(r"/v1/transit/(encrypt|decrypt|rewrap)/([\w.-]+)", path)
        if match and method in ("POST", "PUT"):
            return getattr(self, match.group(1))(match.group(2), body)
        match = re.fullmatch(r"/v1/transit/keys/([\w.-]+)(/rotate|/config)?", path)
        if match:
            name, action = match.group(1), match.group(2)
            if action == "/rotate" and method in ("POST", "PUT"):
                return self.rotate(name)
            if action == "/config" and method in ("POST", "PUT"):
                return self.configure(name, body)
            if action is None and method in ("POST", "PUT"):
                return self.create(name, body)
            if action is None and method == "GET":
                return self.read(name)
        raise VaultProblem(404)

    # -- auth ------------------------------------------------------------------------------
    def login(self, body: dict[str, Any]) -> Any:
        if body.get("role_id") != self.role_id or body.get("secret_id") != self.secret_id:
            raise VaultProblem(400, "invalid role or secret ID")
        token = "hvs." + secrets.token_urlsafe(24)
        now = time.monotonic()
        self.tokens[token] = Token(now + self.ttl, now + self.max_ttl, self.ttl)
        return {"auth": self._auth(token, self.ttl), "data": None, "lease_duration": 0}

    def _auth(self, token: str, ttl: int) -> dict[str, Any]:
        return {
            "client_token": token,
            "accessor": secrets.token_hex(8),
            "policies": ["default", "nija-transit"],
            "token_policies": ["default", "nija-transit"],
            "metadata": {"role_name": "nija"},
            "lease_duration": ttl,
            "renewable": True,
            "entity_id": "",
            "token_type": "service",
            "orphan": True,
        }

    def check_token(self, token: str | None) -> None:
        record = self.tokens.get(token or "")
        if record is None or time.monotonic() >= record.expires:
            raise VaultProblem(403, "permission denied")

    def renew(self, token: str) -> Any:
        record = self.tokens[token]
        now = time.monotonic()
        ttl = int(min(self.ttl, record.max_expires - now))
        if ttl <= 0:
            raise VaultProblem(403, "permission denied")
        record.expires = now + ttl
        return {"auth": self._auth(token, ttl), "data": None}

    def lookup(self, token: str) -> Any:
        record = self.tokens[token]
        return {
            "data": {
                "id": token,
                "ttl": int(record.expires - time.monotonic()),
                "renewable": True,
                "policies": ["default", "nija-transit"],
            }
        }

    # -- transit ---------------------------------------------------------------------------
    def _key(self, name: str) -> TransitKey:
        key = self.keys.get(name)
        if key is None:
            raise VaultProblem(404)
        return key

    def create(self, name: str, body: dict[str, Any]) -> None:
        if body.get("type", "aes256-gcm96") != "aes256-gcm96":
            raise VaultProblem(400, "the double supports aes256-gcm96 keys only")
        if name not in self.keys:
            key = TransitKey(derived=bool(body.get("derived")))
            key.add_version()
            self.keys[name] = key
        return None

    def read(self, name: str) -> Any:
        key = self._key(name)
        return {
            "data": {
                "name": name,
                "type": "aes256-gcm96",
                "derived": key.derived,
                "kdf": "hkdf_sha256" if key.derived else "",
                "keys": {str(v): t for v, t in key.created.items()},
                "latest_version": key.latest,
                "min_available_version": 0,
                "min_decryption_version": key.min_decryption_version,
                "min_encryption_version": 0,
                "deletion_allowed": False,
                "exportable": False,
                "supports_encryption": True,
                "supports_decryption": True,
                "supports_derivation": True,
            }
        }

    def rotate(self, name: str) -> None:
        self._key(name).add_version()
        return None

    def configure(self, name: str, body: dict[str, Any]) -> None:
        key = self._key(name)
        if "min_decryption_version" in body:
            version = int(body["min_decryption_version"])
            if not 0 <= version <= key.latest:
                raise VaultProblem(400, "cannot set min decryption version above latest version")
            key.min_decryption_version = max(version, 1)
        return None

    def _context(self, key: TransitKey, body: dict[str, Any]) -> bytes | None:
        raw = body.get("context")
        if key.derived and not raw:
            raise VaultProblem(
                400,
                "missing 'context' for key derivation; the key was created "
                "using a derived key, which means additional, per-request "
                "information must be included in order to perform operations "
                "with the key",
            )
        return base64.b64decode(raw) if raw else None

    def encrypt(self, name: str, body: dict[str, Any]) -> Any:
        if name not in self.keys:  # Vault upserts on encrypt; derived iff a context is given
            self.create(name, {"derived": bool(body.get("context"))})
        key = self._key(name)
        try:
            plaintext = base64.b64decode(body["plaintext"], validate=True)
        except (KeyError, ValueError):
            raise VaultProblem(400, "failed to base64-decode plaintext") from None
        return {"data": self._seal(key, self._context(key, body), plaintext)}

    def _seal(self, key: TransitKey, context: bytes | None, plaintext: bytes) -> dict[str, Any]:
        version = key.latest
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(key.material(version, context)).encrypt(nonce, plaintext, None)
        text = f"vault:v{version}:{base64.b64encode(nonce + sealed).decode()}"
        return {"ciphertext": text, "key_version": version}

    def _open(self, key: TransitKey, context: bytes | None, ciphertext: str) -> bytes:
        match = re.fullmatch(r"vault:v(\d+):(.+)", ciphertext or "")
        if not match:
            raise VaultProblem(400, "invalid ciphertext: no prefix")
        version = int(match.group(1))
        if version < key.min_decryption_version:
            raise VaultProblem(
                400, "ciphertext or signature version is disallowed by policy (too old)"
            )
        if version not in key.versions:
            raise VaultProblem(400, "invalid ciphertext: version is too new")
        try:
            raw = base64.b64decode(match.group(2), validate=True)
            return AESGCM(key.material(version, context)).decrypt(raw[:12], raw[12:], None)
        except (ValueError, InvalidTag):
            raise VaultProblem(400, "cipher: message authentication failed") from None

    def decrypt(self, name: str, body: dict[str, Any]) -> Any:
        key = self._key(name)
        plaintext = self._open(key, self._context(key, body), body.get("ciphertext", ""))
        return {"data": {"plaintext": base64.b64encode(plaintext).decode()}}

    def rewrap(self, name: str, body: dict[str, Any]) -> Any:
        key = self._key(name)
        context = self._context(key, body)
        return {"data": self._seal(key, context, self._open(key, context, body["ciphertext"]))}

    # -- serving ---------------------------------------------------------------------------
    def serve(self) -> str:
        vault = self

        class Handler(BaseHTTPRequestHandler):
            def _dispatch(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                    with vault.lock:
                        result = vault.handle(
                            self.command,
                            self.path.split("?")[0],
                            self.headers.get("X-Vault-Token"),
                            body,
                        )
                except VaultProblem as problem:
                    self._send(problem.status, {"errors": problem.errors})
                    return
                if result is None:
                    self._send(204, None)
                else:
                    self._send(200, result)

            def _send(self, status: int, payload: Any) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _dispatch

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

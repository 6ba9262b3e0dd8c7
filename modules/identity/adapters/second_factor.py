"""Second-factor primitives: TOTP (RFC 6238), recovery codes and P-256 device signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ISSUER = "NIJA"
TOTP_STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes


def new_totp_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def totp_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step `code` is valid for (now, or one step either side for clock drift)."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now // TOTP_STEP_SECONDS)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    def one() -> str:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        return f"{raw[:5]}-{raw[5:]}"

    return [one() for _ in range(RECOVERY_CODE_COUNT)]


def recovery_digest(code: str) -> str:
    # Codes carry ~49 random bits and are one-use, so a plain digest suffices (unlike passwords).
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"nija-recovery:{normalised}".encode()).hexdigest()


class InvalidPublicKey(ValueError):
    pass


def _b64decode(value: str) -> bytes:
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise InvalidPublicKey("not base64") from None


def load_device_key(encoded: str) -> str:
    """A P-256 public key given as PEM, base64 DER (SPKI) or base64 X9.62 point -> PEM."""
    try:
        if encoded.lstrip().startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(encoded.encode())
        else:
            raw = _b64decode(encoded)
            if len(raw) == 65 and raw[0] == 4:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
            else:
                key = serialization.load_der_public_key(raw)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidPublicKey("not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidPublicKey("not a P-256 key")
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def new_challenge() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def verify_device_signature(public_key_pem: str, challenge: str, signature: str) -> bool:
    """ECDSA P-256/SHA-256 over the challenge's bytes; DER or raw r||s (64 bytes) accepted."""
    try:
        raw = _b64decode(signature)
        message = _b64decode(challenge)
    except InvalidPublicKey:
        return False
    if len(raw) == 64:
        raw = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True

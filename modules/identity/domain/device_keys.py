"""Device keys (biometric login): EC P-256 public keys and their signatures over challenges."""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from modules.identity.domain.text import without_control
from modules.kernel.refusal import Kind, Refused

MAX_LABEL_LENGTH = 80


class _NotBase64(ValueError):
    pass


def _b64decode(value: str) -> bytes:
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise _NotBase64 from None


def _invalid_key() -> Refused:
    return Refused(Kind.INVALID, "invalid_public_key", "The public key must be an EC P-256 key")


def device_key_pem(encoded: str) -> str:
    """A P-256 public key given as PEM, base64 DER (SPKI) or base64 X9.62 point, as PEM."""
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
        raise _invalid_key() from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise _invalid_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def device_label(name: str) -> str:
    """The name a device is listed under; a blank one becomes "device"."""
    return (without_control(name).strip() or "device")[:MAX_LABEL_LENGTH]


def verify_device_signature(public_key_pem: str, challenge: str, signature: str) -> bool:
    """ECDSA P-256/SHA-256 over the challenge's bytes; DER or raw r||s (64 bytes) accepted."""
    try:
        raw = _b64decode(signature)
        message = _b64decode(challenge)
    except _NotBase64:
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

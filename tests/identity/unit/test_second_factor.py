"""TOTP steps, recovery codes, device keys and token digests: pure functions, no app."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from modules.identity.domain.device_keys import (
    MAX_LABEL_LENGTH,
    device_key_pem,
    device_label,
    verify_device_signature,
)
from modules.identity.domain.tokens import digest_token
from modules.identity.domain.totp import (
    TOTP_STEP_SECONDS,
    provisioning_uri,
    recovery_code,
    recovery_digest,
    totp_step,
)
from modules.kernel.refusal import Kind, Refused

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits, like the ones enrolment draws
AT = 1_760_000_015.0  # 15 s into a step
STEP = int(AT // TOTP_STEP_SECONDS)


def _code(step: int) -> str:
    return pyotp.TOTP(SECRET).at(step * TOTP_STEP_SECONDS)


def test_a_code_is_valid_for_its_step_and_one_either_side() -> None:
    assert totp_step(SECRET, _code(STEP), at=AT) == STEP
    assert totp_step(SECRET, _code(STEP - 1), at=AT) == STEP - 1
    assert totp_step(SECRET, _code(STEP + 1), at=AT) == STEP + 1
    assert totp_step(SECRET, _code(STEP - 2), at=AT) is None
    assert totp_step(SECRET, _code(STEP + 2), at=AT) is None


def test_rfc_6238_test_vectors() -> None:
    # Appendix B, SHA-1, secret "12345678901234567890": the last six of the eight digits.
    rfc_secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp_step(rfc_secret, "287082", at=59) == 1
    assert totp_step(rfc_secret, "081804", at=1111111109) == 1111111109 // 30
    assert totp_step(rfc_secret, "005924", at=1234567890) == 1234567890 // 30


def test_the_step_boundary_is_exact() -> None:
    boundary = (STEP + 1) * TOTP_STEP_SECONDS
    assert totp_step(SECRET, _code(STEP + 2), at=boundary - 0.001) is None
    assert totp_step(SECRET, _code(STEP + 2), at=boundary) == STEP + 2


def test_codes_are_read_leniently_but_must_be_six_digits() -> None:
    code = _code(STEP)
    assert totp_step(SECRET, f" {code[:3]} {code[3:]} ", at=AT) == STEP
    for bad in ("", "12345", "1234567", "12345a", code[:5] + "x"):
        assert totp_step(SECRET, bad, at=AT) is None


def test_the_provisioning_uri_names_the_issuer_and_account() -> None:
    uri = urlparse(provisioning_uri(SECRET, "ada@example.com"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/NIJA:ada%40example.com"
    assert parse_qs(uri.query)["secret"] == [SECRET]
    assert parse_qs(uri.query)["issuer"] == ["NIJA"]


def test_recovery_codes_read_the_same_however_typed() -> None:
    code = recovery_code("abcdefghjk")
    assert code == "abcde-fghjk"
    digest = recovery_digest(code)
    assert recovery_digest(" ABCDE FGHJK ") == digest
    assert recovery_digest("abcdefghjk") == digest
    assert recovery_digest("abcde-fghjm") != digest
    assert digest == hashlib.sha256(b"nija-recovery:abcdefghjk").hexdigest()


def test_token_digests_are_sha256_hex() -> None:
    assert digest_token("t") == hashlib.sha256(b"t").hexdigest()
    assert digest_token("a") != digest_token("b")


# Device keys --------------------------------------------------------------------------------
KEY = ec.generate_private_key(ec.SECP256R1())
PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_p256_key_is_accepted_as_pem_der_or_point() -> None:
    public = KEY.public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert device_key_pem(PEM) == PEM
    assert device_key_pem(_b64(der)) == PEM
    assert device_key_pem(base64.b64encode(der).decode()) == PEM  # standard alphabet too
    assert device_key_pem(_b64(point)) == PEM


@pytest.mark.parametrize(
    "encoded",
    [
        "not base64 at all!!",
        _b64(b"\x04" + b"\x00" * 64),  # not a point on the curve
        ec.generate_private_key(ec.SECP384R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    ],
)
def test_other_keys_are_refused(encoded: str) -> None:
    with pytest.raises(Refused) as raised:
        device_key_pem(encoded)
    assert (raised.value.kind, raised.value.code) == (Kind.INVALID, "invalid_public_key")
    assert raised.value.reason == "The public key must be an EC P-256 key"


def test_a_signature_over_the_challenge_verifies_in_der_or_raw_form() -> None:
    challenge = _b64(b"n" * 32)
    der = KEY.sign(b"n" * 32, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert verify_device_signature(PEM, challenge, _b64(der))
    assert verify_device_signature(PEM, challenge, _b64(raw))
    assert not verify_device_signature(PEM, _b64(b"m" * 32), _b64(der))  # another challenge
    other = ec.generate_private_key(ec.SECP256R1()).sign(b"n" * 32, ec.ECDSA(hashes.SHA256()))
    assert not verify_device_signature(PEM, challenge, _b64(other))
    assert not verify_device_signature(PEM, challenge, "%%%")
    assert not verify_device_signature(PEM, challenge, _b64(b"short"))


def test_device_labels() -> None:
    assert device_label("  Ada's\x00 phone ") == "Ada's phone"
    assert device_label(" \x00 ") == "device"
    assert device_label("x" * 200) == "x" * MAX_LABEL_LENGTH

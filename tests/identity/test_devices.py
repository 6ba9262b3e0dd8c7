"""Biometric device login: a P-256 key made here plays the phone's secure-enclave key."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from modules.identity.contracts import SecurityEventRaised
from modules.kernel.auth import Principal
from tests.conftest import RunningApp
from tests.identity.conftest import (
    bearer,
    new_email,
    problem,
    published,
    register,
    tokens_for,
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Phone:
    def __init__(self, curve: ec.EllipticCurve | None = None) -> None:
        self.key = ec.generate_private_key(curve or ec.SECP256R1())

    def public_der_b64(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def sign(self, challenge: str, *, raw: bool = False) -> str:
        message = base64.urlsafe_b64decode(challenge + "=" * (-len(challenge) % 4))
        der = self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        if not raw:
            return _b64url(der)
        r, s = decode_dss_signature(der)  # the raw r||s form some platforms produce
        return _b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


async def _register_device(
    running: RunningApp, headers: dict[str, str], phone: Phone, name: str = "Ada's iPhone"
) -> str:
    response = await running.client.post(
        "/v1/auth/devices",
        json={"name": name, "public_key": phone.public_der_b64()},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    device_id: str = response.json()["id"]
    return device_id


async def _challenge(running: RunningApp, device_id: str) -> dict[str, Any]:
    response = await running.client.post("/v1/auth/device/challenge", json={"device_id": device_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _device_login(running: RunningApp, challenge_id: str, signature: str) -> Any:
    return await running.client.post(
        "/v1/auth/device/login", json={"challenge_id": challenge_id, "signature": signature}
    )


async def test_a_registered_phone_logs_in_by_signing_the_challenge(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    phone = Phone()
    device_id = await _register_device(running, headers, phone)

    listed = (await running.client.get("/v1/auth/devices", headers=headers)).json()
    assert [(d["id"], d["name"], d["last_used_at"]) for d in listed] == [
        (device_id, "Ada's iPhone", None)
    ]
    challenge = await _challenge(running, device_id)
    assert challenge["expires_in"] == 120
    response = await _device_login(
        running, challenge["challenge_id"], phone.sign(challenge["challenge"])
    )
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]
    tokens = response.json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user_id and claims["sf"] is True
    assert abs(claims["sfa"] - time.time()) < 10
    me = await running.client.get("/v1/auth/me", headers=bearer(tokens["access_token"]))
    assert me.json()["id"] == user_id

    # One use per challenge, even with a correct signature.
    again = await _device_login(
        running, challenge["challenge_id"], phone.sign(challenge["challenge"])
    )
    problem(again, 401, "invalid_device_signature")
    # The raw r||s signature encoding is accepted too.
    second = await _challenge(running, device_id)
    raw = await _device_login(
        running, second["challenge_id"], phone.sign(second["challenge"], raw=True)
    )
    assert raw.status_code == 200, raw.text

    listed = (await running.client.get("/v1/auth/devices", headers=headers)).json()
    assert listed[0]["last_used_at"] is not None
    sessions = await running.client.get("/v1/auth/sessions", headers=headers)
    assert sorted(s["method"] for s in sessions.json()) == ["device", "device", "password"]
    events = await published(running, SecurityEventRaised)
    assert [(e.user_id, e.kind, e.detail) for e in events] == [
        (user_id, "new_device", "Ada's iPhone")
    ]


async def test_a_wrong_signature_spends_the_challenge(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    phone, thief = Phone(), Phone()
    device_id = await _register_device(running, headers, phone)
    challenge = await _challenge(running, device_id)
    forged = thief.sign(challenge["challenge"])
    problem(
        await _device_login(running, challenge["challenge_id"], forged),
        401,
        "invalid_device_signature",
    )
    genuine = phone.sign(challenge["challenge"])
    problem(
        await _device_login(running, challenge["challenge_id"], genuine),
        401,
        "invalid_device_signature",
    )
    for garbage in ("%%%", _b64url(b"x" * 70)):
        fresh = await _challenge(running, device_id)
        problem(
            await _device_login(running, fresh["challenge_id"], garbage),
            401,
            "invalid_device_signature",
        )


async def test_only_p256_public_keys_are_accepted(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    rsa_der = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for bad in (
        Phone(ec.SECP384R1()).public_der_b64(),
        base64.b64encode(rsa_der).decode(),
        "bm9wZQ",
        "!!",
    ):
        response = await running.client.post(
            "/v1/auth/devices", json={"name": "x", "public_key": bad}, headers=headers
        )
        problem(response, 422, "invalid_public_key")
    pem = (
        Phone()
        .key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    response = await running.client.post(
        "/v1/auth/devices", json={"name": "pem", "public_key": pem.decode()}, headers=headers
    )
    assert response.status_code == 201, response.text


async def test_revoked_and_unknown_devices_cannot_log_in(running: RunningApp) -> None:
    alice, bob = new_email("alice"), new_email("bob")
    await register(running, alice)
    await register(running, bob)
    alice_headers = bearer((await tokens_for(running, alice))["access_token"])
    bob_headers = bearer((await tokens_for(running, bob))["access_token"])
    phone = Phone()
    device_id = await _register_device(running, alice_headers, phone)

    other = await running.client.delete(f"/v1/auth/devices/{device_id}", headers=bob_headers)
    problem(other, 404, "device_not_found")
    response = await running.client.delete(f"/v1/auth/devices/{device_id}", headers=alice_headers)
    assert response.status_code == 204
    assert (await running.client.get("/v1/auth/devices", headers=alice_headers)).json() == []

    # Unknown and revoked devices still get a challenge (nothing is revealed), never a login.
    for target in (device_id, "00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        challenge = await _challenge(running, target)
        response = await _device_login(
            running, challenge["challenge_id"], phone.sign(challenge["challenge"])
        )
        problem(response, 401, "invalid_device_signature")


async def test_step_up_with_a_device_signature(running: RunningApp) -> None:
    alice, bob = new_email("alice"), new_email("bob")
    alice_id = await register(running, alice)
    await register(running, bob)
    alice_headers = bearer((await tokens_for(running, alice))["access_token"])
    bob_headers = bearer((await tokens_for(running, bob))["access_token"])
    phone, bob_phone = Phone(), Phone()
    device_id = await _register_device(running, alice_headers, phone)
    bob_device = await _register_device(running, bob_headers, bob_phone)

    stale = bearer(
        running.runtime.tokens.issue(
            Principal(
                user_id=alice_id,
                role="trader",
                second_factor=True,
                second_factor_at=int(time.time()) - 301,
            )
        )
    )
    second_phone = {"name": "tablet", "public_key": Phone().public_der_b64()}
    refused = await running.client.post("/v1/auth/devices", json=second_phone, headers=stale)
    problem(refused, 403, "step_up_required")

    # Bob's device proof does not step Alice up.
    bob_challenge = await _challenge(running, bob_device)
    response = await running.client.post(
        "/v1/auth/step-up",
        json={
            "challenge_id": bob_challenge["challenge_id"],
            "signature": bob_phone.sign(bob_challenge["challenge"]),
        },
        headers=stale,
    )
    problem(response, 403, "invalid_second_factor")

    challenge = await _challenge(running, device_id)
    response = await running.client.post(
        "/v1/auth/step-up",
        json={
            "challenge_id": challenge["challenge_id"],
            "signature": phone.sign(challenge["challenge"]),
        },
        headers=stale,
    )
    assert response.status_code == 200, response.text
    fresh = bearer(response.json()["access_token"])
    added = await running.client.post("/v1/auth/devices", json=second_phone, headers=fresh)
    assert added.status_code == 201, added.text

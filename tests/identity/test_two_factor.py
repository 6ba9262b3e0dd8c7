"""TOTP two-factor sign-in: enrolment, login with a second factor, recovery codes, disabling,
and step-up (a fresh proof for sensitive actions), all over HTTP with codes computed by pyotp."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from modules.identity.contracts import SecurityEventRaised
from modules.kernel.auth import Principal
from tests.conftest import RunningApp
from tests.identity.conftest import (
    PASSWORD,
    Authenticator,
    FakeClock,
    bearer,
    login,
    new_email,
    problem,
    published,
    register,
    tokens_for,
)


async def enrol(running: RunningApp, email: str) -> tuple[Authenticator, list[str], dict[str, str]]:
    headers = bearer((await tokens_for(running, email))["access_token"])
    setup = await running.client.post("/v1/auth/2fa/totp", headers=headers)
    assert setup.status_code == 200, setup.text
    assert "no-store" in setup.headers["cache-control"]
    body = setup.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/NIJA:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert "<svg" in body["qr_svg"] and "<path" in body["qr_svg"]
    app = Authenticator(body["secret"])

    wrong = await running.client.post(
        "/v1/auth/2fa/totp/confirm", json={"code": "00000x"}, headers=headers
    )
    problem(wrong, 422, "invalid_code")
    confirm = await running.client.post(
        "/v1/auth/2fa/totp/confirm", json={"code": await app.code()}, headers=headers
    )
    assert confirm.status_code == 200, confirm.text
    codes: list[str] = confirm.json()["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))
    return app, codes, headers


async def _second_factor(running: RunningApp, challenge_id: str, code: str) -> Any:
    return await running.client.post(
        "/v1/auth/login/second-factor", json={"challenge_id": challenge_id, "code": code}
    )


async def _challenge(running: RunningApp, email: str) -> str:
    response = await login(running, email)
    body = problem(response, 401, "second_factor_required")
    assert "access_token" not in body and body["methods"] == ["totp", "recovery_code"]
    challenge_id: str = body["challenge_id"]
    return challenge_id


async def test_login_demands_the_second_factor_once_totp_is_on(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    app, recovery, _ = await enrol(running, email)

    challenge = await _challenge(running, email)
    problem(await _second_factor(running, challenge, "123 456"), 401, "invalid_second_factor")
    code = await app.code()
    response = await _second_factor(running, challenge, code)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["sf"] is True and abs(claims["sfa"] - time.time()) < 10

    # The same code cannot be used twice, even on a fresh challenge.
    problem(
        await _second_factor(running, await _challenge(running, email), code),
        401,
        "invalid_second_factor",
    )
    # A recovery code works once, in any case and with or without its dash.
    assert (
        await _second_factor(running, await _challenge(running, email), recovery[0].upper())
    ).status_code == 200
    problem(
        await _second_factor(running, await _challenge(running, email), recovery[0]),
        401,
        "invalid_second_factor",
    )
    sessions = await running.client.get(
        "/v1/auth/sessions", headers=bearer(response.json()["access_token"])
    )
    assert {s["method"] for s in sessions.json()} == {"password", "second_factor"}
    events = await published(running, SecurityEventRaised)
    assert [(e.user_id, e.kind) for e in events] == [(user_id, "two_factor_enabled")]


async def test_wrong_codes_spend_the_challenge_and_lock_the_account(
    running: RunningApp, clock: FakeClock
) -> None:
    email = new_email()
    await register(running, email)
    app, _, _ = await enrol(running, email)
    challenge = await _challenge(running, email)
    refused = "invalid_second_factor"
    for _ in range(5):
        problem(await _second_factor(running, challenge, "000000"), 401, refused)
    code = await app.code()
    problem(await _second_factor(running, challenge, code), 401, refused)  # spent by misses
    for bogus in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        problem(await _second_factor(running, bogus, code), 401, refused)
    # Guessing codes counts like guessing passwords: the password alone no longer gets a
    # fresh challenge (and so a fresh round of guesses) until the lockout ends.
    problem(await login(running, email), 429, "too_many_attempts")
    clock.advance(minutes=15, seconds=1)
    # The code itself was good all along: a fresh challenge takes it.
    fresh = await _challenge(running, email)
    assert (await _second_factor(running, fresh, code)).status_code == 200


async def test_disabling_totp_needs_the_password_and_a_code(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    app, recovery, headers = await enrol(running, email)

    async def disable(password: str, code: str) -> Any:
        return await running.client.post(
            "/v1/auth/2fa/totp/disable", json={"password": password, "code": code}, headers=headers
        )

    wrong_password = await disable("not my password at all", await app.code())
    problem(wrong_password, 403, "reauthentication_failed")
    problem(await disable(PASSWORD, "999999"), 403, "invalid_second_factor")
    assert (await disable(PASSWORD, recovery[3])).status_code == 204
    assert (await login(running, email)).status_code == 200  # no second factor asked any more
    problem(await disable(PASSWORD, await app.code()), 409, "two_factor_disabled")
    kinds = [e.kind for e in await published(running, SecurityEventRaised) if e.user_id == user_id]
    assert kinds == ["two_factor_enabled", "two_factor_disabled"]


def _device_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


async def test_sensitive_actions_need_a_recent_second_factor(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    app, _, _ = await enrol(running, email)
    # A token whose last second-factor proof is ten minutes old.
    stale = running.runtime.tokens.issue(
        Principal(
            user_id=user_id,
            role="trader",
            second_factor=True,
            second_factor_at=int(time.time()) - 600,
        )
    )
    device = {"name": "Ada's phone", "public_key": _device_key()}
    refused = await running.client.post("/v1/auth/devices", json=device, headers=bearer(stale))
    problem(refused, 403, "step_up_required")

    async def step_up(body: dict[str, Any]) -> Any:
        return await running.client.post("/v1/auth/step-up", json=body, headers=bearer(stale))

    problem(await step_up({}), 422, "second_factor_missing")
    problem(await step_up({"code": "000000"}), 403, "invalid_second_factor")
    fresh = await step_up({"code": await app.code()})
    assert fresh.status_code == 200, fresh.text
    token = fresh.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sf"] is True and abs(claims["sfa"] - time.time()) < 10
    added = await running.client.post("/v1/auth/devices", json=device, headers=bearer(token))
    assert added.status_code == 201, added.text
    again = await running.client.post("/v1/auth/2fa/totp", headers=bearer(token))
    problem(again, 409, "two_factor_enabled")

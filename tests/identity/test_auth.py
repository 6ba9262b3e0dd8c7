"""Registration, login, the bearer token guard and refresh-token rotation, over real HTTP."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import asyncpg
import pytest

from modules.kernel.auth import Principal, TokenCodec
from tests.conftest import LogCapture, RunningApp

PASSWORD = "correct horse battery staple"


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


async def _register(running: RunningApp, email: str, password: str = PASSWORD) -> Any:
    return await running.client.post(
        "/v1/auth/register", json={"email": email, "password": password}
    )


async def _login(running: RunningApp, email: str, password: str = PASSWORD) -> Any:
    return await running.client.post("/v1/auth/login", json={"email": email, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_register_login_me_and_refresh(running: RunningApp) -> None:
    email = _email()
    registered = await _register(running, f"  {email.upper()} ")
    assert registered.status_code == 201, registered.text
    user = registered.json()
    assert set(user) == {"id", "email", "role", "tier", "created_at"}
    assert user["email"] == email and user["role"] == "trader" and user["tier"] == "basic"

    login = await _login(running, email.upper())
    assert login.status_code == 200, login.text
    assert "no-store" in login.headers["cache-control"]
    tokens = login.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == running.runtime.tokens.ttl_seconds
    principal = running.runtime.tokens.verify(tokens["access_token"])
    assert principal == Principal(
        user_id=user["id"],
        role="trader",
        tier="basic",
        session_id=principal.session_id,
        issued_at_ms=principal.issued_at_ms,
    )
    # The token names its session and its issue time to the millisecond (for revocation).
    assert principal.session_id and abs(principal.issued_at_ms / 1000 - time.time()) < 60

    me = await running.client.get("/v1/auth/me", headers=_bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json() == user

    refreshed = await running.client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    pair = refreshed.json()
    assert pair["refresh_token"] != tokens["refresh_token"]
    me = await running.client.get("/v1/auth/me", headers=_bearer(pair["access_token"]))
    assert me.json()["id"] == user["id"]


async def test_duplicate_email_is_a_conflict_whatever_its_case(running: RunningApp) -> None:
    email = _email()
    assert (await _register(running, email)).status_code == 201
    body = _problem(
        await _register(running, email.upper(), "another long password"), 409, "email_taken"
    )
    assert email not in json.dumps(body)


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"email": "ada@example.com", "password": "short"}, 400, "invalid_request", "password"),
        ({"email": "ada@example.com", "password": "x" * 129}, 400, "invalid_request", "password"),
        ({"email": "ada@example.com", "password": None}, 400, "invalid_request", "password"),
        ({"email": "not-an-email", "password": PASSWORD}, 422, "invalid_email", None),
        ({"email": "ada@localhost", "password": PASSWORD}, 422, "invalid_email", None),
        ({"email": "ada@example.com"}, 400, "invalid_request", None),
        ({"email": 42, "password": PASSWORD}, 400, "invalid_request", "email"),
    ],
)
async def test_bad_registrations_are_problems(
    running: RunningApp, payload: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    body = _problem(await running.client.post("/v1/auth/register", json=payload), status, code)
    if field is not None:
        assert [error.get("key") for error in body.get("errors", [])] == [field], body
    accounts = await _count_users(running)
    assert accounts == 0


async def test_malformed_json_is_a_400_problem(running: RunningApp) -> None:
    body = b'{"email": "a@b.co", "password": "hunter2-and-more'
    for path in ("/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"):
        response = await running.client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] in {"bad_request", "invalid_request"}
        assert "hunter2" not in response.text


async def test_wrong_password_and_unknown_email_get_the_same_answer(running: RunningApp) -> None:
    email = _email()
    assert (await _register(running, email)).status_code == 201
    wrong = _problem(
        await _login(running, email, "not the right password"), 401, "invalid_credentials"
    )
    unknown = _problem(await _login(running, _email()), 401, "invalid_credentials")
    wrong.pop("request_id")
    unknown.pop("request_id")
    assert wrong == unknown


@pytest.mark.production_password_hashing  # the timing compared is argon2id's at its real cost
async def test_unknown_email_costs_a_password_verification(running: RunningApp) -> None:
    """Without a dummy hash, an unknown email answers many times faster than a wrong password."""
    email = _email()
    assert (await _register(running, email)).status_code == 201

    async def timed(address: str) -> float:
        started = time.perf_counter()
        response = await _login(running, address, "not the right password")
        assert response.status_code == 401
        return time.perf_counter() - started

    await timed(email)  # warm the hashing pool and the connection
    wrong, unknown = [], []
    for _ in range(3):  # 4 failures in all: one short of the account lockout
        wrong.append(await timed(email))
        unknown.append(await timed(_email()))
    ratio = sorted(wrong)[1] / sorted(unknown)[1]
    assert 1 / 3 < ratio < 3, (
        f"wrong password {sorted(wrong)[1]:.4f}s vs unknown {sorted(unknown)[1]:.4f}s"
    )


def _unsigned_token(user_id: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "sub": user_id,
        "role": "admin",
        "iss": "nija",
        "iat": now,
        "exp": now + 600,
        "typ": "access",
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_bad_bearer_tokens_are_401_problems(running: RunningApp) -> None:
    email = _email()
    user_id = (await _register(running, email)).json()["id"]
    principal = Principal(user_id=user_id, role="trader")
    tokens = running.runtime.tokens
    foreign = TokenCodec("another-secret-" + "y" * 40).issue(principal)
    cases = [
        ({}, "missing_token"),
        ({"Authorization": "Basic abc"}, "missing_token"),
        (_bearer(tokens.issue(principal, ttl_seconds=-10)), "token_expired"),
        (_bearer(foreign), "invalid_token"),
        (_bearer(_unsigned_token(user_id)), "invalid_token"),
        (_bearer("not.a.jwt"), "invalid_token"),
    ]
    for headers, code in cases:
        _problem(await running.client.get("/v1/auth/me", headers=headers), 401, code)
    ok = await running.client.get("/v1/auth/me", headers=_bearer(tokens.issue(principal)))
    assert ok.status_code == 200


async def test_token_for_a_vanished_account_is_refused(running: RunningApp) -> None:
    token = running.runtime.tokens.issue(Principal(user_id=str(uuid.uuid4()), role="trader"))
    _problem(await running.client.get("/v1/auth/me", headers=_bearer(token)), 401, "invalid_token")


async def test_refresh_tokens_rotate_and_a_replay_revokes_its_session_family(
    running: RunningApp,
) -> None:
    email = _email()
    assert (await _register(running, email)).status_code == 201
    first = (await _login(running, email)).json()["refresh_token"]
    other_session = (await _login(running, email)).json()["refresh_token"]

    async def refresh(token: str) -> Any:
        return await running.client.post("/v1/auth/refresh", json={"refresh_token": token})

    second = (await refresh(first)).json()["refresh_token"]
    third = (await refresh(second)).json()["refresh_token"]
    _problem(await refresh(first), 401, "invalid_refresh_token")  # replay of a spent token
    # The replay looks like theft: the whole family (every token rotated from that login) is
    # revoked, so the thief's copy and the victim's current token both stop working ...
    _problem(await refresh(third), 401, "invalid_refresh_token")
    _problem(await refresh(second), 401, "invalid_refresh_token")
    # ... while the user's other sessions (another device) carry on.
    assert (await refresh(other_session)).status_code == 200
    _problem(await refresh("never-issued-token"), 401, "invalid_refresh_token")
    assert (await _login(running, email)).status_code == 200


async def test_expired_refresh_token_is_refused(running: RunningApp) -> None:
    email = _email()
    assert (await _register(running, email)).status_code == 201
    token = (await _login(running, email)).json()["refresh_token"]
    async with running.runtime.db.connection() as conn:
        await conn.execute(
            "UPDATE identity.refresh_tokens SET expires_at = now() - interval '1 second'"
        )
    response = await running.client.post("/v1/auth/refresh", json={"refresh_token": token})
    _problem(response, 401, "invalid_refresh_token")


async def test_refresh_tokens_are_stored_only_as_sha256_digests(running: RunningApp) -> None:
    import hashlib

    email = _email()
    assert (await _register(running, email)).status_code == 201
    tokens = (await _login(running, email)).json()
    assert len(base64.urlsafe_b64decode(tokens["refresh_token"] + "=")) == 32
    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT token_hash, expires_at - created_at AS ttl FROM identity.refresh_tokens"
        )
    assert [r["token_hash"] for r in rows] == [
        hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    ]
    assert rows[0]["ttl"].total_seconds() == running.runtime.settings.refresh_token_ttl_seconds


async def test_password_is_never_echoed_or_logged_and_is_hashed_with_argon2id(
    running: RunningApp, captured_logs: LogCapture
) -> None:
    password = f"secret-{uuid.uuid4().hex}"
    email = _email()
    responses = [
        await _register(running, email, password),
        await _register(running, email, password),  # 409
        await _login(running, email, password),
        await _login(running, email, password[::-1]),  # 401
        await _login(running, _email(), password),  # 401
        await running.client.post("/v1/auth/register", json={"email": "bad", "password": password}),
    ]
    assert [r.status_code for r in responses] == [201, 409, 200, 401, 401, 422]
    for response in responses:
        assert password not in response.text
        assert password not in json.dumps(dict(response.headers))
    assert captured_logs.lines, "the capture saw no log records at all"
    assert password not in captured_logs.text
    async with running.runtime.db.connection() as conn:
        stored = await conn.fetchval(
            "SELECT password_hash FROM identity.users WHERE email = $1", email
        )
    assert stored.startswith("$argon2id$v=19$")
    assert password not in stored


async def _count_users(running: RunningApp) -> int:
    conn: asyncpg.Connection
    async with running.runtime.db.connection() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM identity.users"))

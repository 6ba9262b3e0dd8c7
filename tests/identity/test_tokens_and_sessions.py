"""Access-token lifetime, tampering, signing-key rotation, and session management over HTTP."""

from __future__ import annotations

import time
from typing import Any

import jwt

from app import create_app
from modules.kernel.auth import key_id
from tests.conftest import TEST_JWT_SECRET, RunningApp, serve
from tests.identity.conftest import (
    bearer,
    new_email,
    problem,
    refresh,
    register,
    tokens_for,
)


def _claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def _me(running: RunningApp, token: str) -> Any:
    return await running.client.get("/v1/auth/me", headers=bearer(token))


async def test_access_tokens_live_fifteen_minutes_and_name_their_key(running: RunningApp) -> None:
    email = new_email()
    user_id = await register(running, email)
    tokens = await tokens_for(running, email)
    claims = _claims(tokens["access_token"])
    assert tokens["expires_in"] == 900 and claims["exp"] - claims["iat"] == 900
    assert claims["sub"] == user_id and claims["typ"] == "access"
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["alg"] == "HS256" and header["kid"] == running.runtime.tokens.current_kid


async def test_tampered_tokens_are_refused(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    token = (await tokens_for(running, email))["access_token"]
    claims = _claims(token)
    kid = running.runtime.tokens.current_kid
    now = int(time.time())
    escalated = {**claims, "role": "admin"}
    header_b64, _, signature = token.split(".")
    forged_body = jwt.encode(escalated, "x" * 40, algorithm="HS256").split(".")[1]
    cases = {
        "alg none": jwt.encode(escalated, None, algorithm="none", headers={"kid": kid}),
        "wrong key, right kid": jwt.encode(
            escalated, "another-secret-" + "y" * 40, algorithm="HS256", headers={"kid": kid}
        ),
        "claims edited, signature kept": f"{header_b64}.{forged_body}.{signature}",
        "unknown kid": jwt.encode(
            claims, TEST_JWT_SECRET, algorithm="HS256", headers={"kid": "k9"}
        ),
        "right key, other algorithm": jwt.encode(
            claims, TEST_JWT_SECRET, algorithm="HS512", headers={"kid": kid}
        ),
        "not a refresh-able type": jwt.encode(
            {**claims, "typ": "refresh"}, TEST_JWT_SECRET, algorithm="HS256", headers={"kid": kid}
        ),
    }
    for name, forged in cases.items():
        for path in ("/v1/auth/me", "/v1/admin/users"):
            response = await running.client.get(path, headers=bearer(forged))
            assert response.status_code == 401, (name, path, response.text)
            assert response.json()["code"] == "invalid_token", name
    expired = jwt.encode(
        {**claims, "iat": now - 1000, "exp": now - 100},
        TEST_JWT_SECRET,
        algorithm="HS256",
        headers={"kid": kid},
    )
    problem(await _me(running, expired), 401, "token_expired")
    assert (await _me(running, token)).status_code == 200


async def test_signing_key_rotation_keeps_everyone_signed_in(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    codec = running.runtime.tokens
    old_kid = codec.current_kid
    before = (await tokens_for(running, email))["access_token"]

    new_kid = codec.rotate("a-brand-new-signing-secret-" + "q" * 30)
    assert new_kid != old_kid
    after = (await tokens_for(running, email))["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await _me(running, before)).status_code == 200  # issued before: still good
    assert (await _me(running, after)).status_code == 200

    codec.retire(old_kid)  # once every old token has expired
    problem(await _me(running, before), 401, "invalid_token")
    assert (await _me(running, after)).status_code == 200


async def test_sessions_are_listed_and_revoked_one_by_one_or_all(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    logins = []
    for agent in ("phone", "laptop", "tablet"):
        response = await running.client.post(
            "/v1/auth/login",
            json={"email": email, "password": "correct horse battery staple"},
            headers={"User-Agent": agent},
        )
        logins.append(response.json())
    headers = bearer(logins[0]["access_token"])
    listed = (await running.client.get("/v1/auth/sessions", headers=headers)).json()
    assert sorted(s["user_agent"] for s in listed) == ["laptop", "phone", "tablet"]
    assert all(s["method"] == "password" and s["ip"] == "127.0.0.1" for s in listed)

    laptop = next(s["id"] for s in listed if s["user_agent"] == "laptop")
    response = await running.client.delete(f"/v1/auth/sessions/{laptop}", headers=headers)
    assert response.status_code == 204
    problem(await refresh(running, logins[1]["refresh_token"]), 401, "invalid_refresh_token")
    rotated = await refresh(running, logins[2]["refresh_token"])
    assert rotated.status_code == 200
    listed = (await running.client.get("/v1/auth/sessions", headers=headers)).json()
    assert sorted(s["user_agent"] for s in listed) == ["phone", "tablet"]
    problem(
        await running.client.delete(f"/v1/auth/sessions/{laptop}", headers=headers),
        404,
        "session_not_found",
    )

    response = await running.client.delete("/v1/auth/sessions", headers=headers)
    assert response.status_code == 204
    for token in (logins[0]["refresh_token"], rotated.json()["refresh_token"]):
        problem(await refresh(running, token), 401, "invalid_refresh_token")
    # Signing out everywhere ends the access token that asked for it too.
    problem(await running.client.get("/v1/auth/sessions", headers=headers), 401, "token_revoked")
    fresh = bearer((await tokens_for(running, email))["access_token"])
    assert len((await running.client.get("/v1/auth/sessions", headers=fresh)).json()) == 1


async def test_logout_ends_only_that_session(running: RunningApp) -> None:
    email = new_email()
    await register(running, email)
    mine, other = await tokens_for(running, email), await tokens_for(running, email)
    for token in (mine["refresh_token"], mine["refresh_token"], "never-issued"):
        response = await running.client.post("/v1/auth/logout", json={"refresh_token": token})
        assert response.status_code == 204  # idempotent, and silent about unknown tokens
    problem(await refresh(running, mine["refresh_token"]), 401, "invalid_refresh_token")
    assert (await refresh(running, other["refresh_token"])).status_code == 200


async def test_another_users_refresh_token_or_session_gives_no_access(running: RunningApp) -> None:
    alice, bob = new_email("alice"), new_email("bob")
    alice_id, bob_id = await register(running, alice), await register(running, bob)
    alice_tokens, bob_tokens = await tokens_for(running, alice), await tokens_for(running, bob)
    alice_headers = bearer(alice_tokens["access_token"])

    bob_sessions = await running.client.get(
        "/v1/auth/sessions", headers=bearer(bob_tokens["access_token"])
    )
    bob_session = bob_sessions.json()[0]["id"]
    problem(
        await running.client.delete(f"/v1/auth/sessions/{bob_session}", headers=alice_headers),
        404,
        "session_not_found",
    )
    # A refresh token only ever yields its owner's identity, whoever presents it.
    pair = (await refresh(running, bob_tokens["refresh_token"])).json()
    assert _claims(pair["access_token"])["sub"] == bob_id != alice_id
    me = await _me(running, pair["access_token"])
    assert me.json()["id"] == bob_id


async def test_a_configured_keyset_rotates_the_key_without_logging_anyone_out(
    running: RunningApp, make_settings: Any
) -> None:
    email = new_email()
    await register(running, email)
    before = (await tokens_for(running, email))["access_token"]
    old_kid = key_id(TEST_JWT_SECRET)
    assert jwt.get_unverified_header(before)["kid"] == old_kid
    keyset = f"keyset:2026-12=a-new-signing-secret-{'n' * 30},{old_kid}={TEST_JWT_SECRET}"
    async with serve(create_app(make_settings(jwt_secret=keyset))) as rotated:
        assert (await rotated.client.get("/v1/auth/me", headers=bearer(before))).status_code == 200
        login = await rotated.client.post(
            "/v1/auth/login", json={"email": email, "password": "correct horse battery staple"}
        )
        after = login.json()["access_token"]
        assert jwt.get_unverified_header(after)["kid"] == "2026-12"
        assert (await rotated.client.get("/v1/auth/me", headers=bearer(after))).status_code == 200
    # A replica still on the old configuration does not know the new key (yet).
    problem(await _me(running, after), 401, "invalid_token")

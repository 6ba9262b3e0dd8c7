"""Access tokens stop working once their session is revoked, their user suspended or their
password changed: at once on the replica that did it, within about a second on every other one.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app import create_app
from tests.conftest import RunningApp, serve
from tests.identity.conftest import (
    PASSWORD,
    bearer,
    enrol_totp,
    make_admin,
    new_email,
    problem,
    register,
    step_up,
    tokens_for,
)

NEW_PASSWORD = "a brand new pass phrase"


async def _credentials(running: RunningApp, token: str) -> Any:
    return await running.client.get("/v1/credentials", headers=bearer(token))


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def _trader(running: RunningApp) -> tuple[str, str]:
    email = new_email()
    await register(running, email)
    return email, (await tokens_for(running, email))["access_token"]


async def test_signing_out_everywhere_kills_every_access_token_but_not_the_next_login(
    running: RunningApp,
) -> None:
    email, first = await _trader(running)
    second = (await tokens_for(running, email))["access_token"]
    for token in (first, second):
        assert (await _credentials(running, token)).status_code == 200

    signed_out = await running.client.delete("/v1/auth/sessions", headers=bearer(first))
    assert signed_out.status_code == 204, signed_out.text
    for token in (first, second):
        body = problem(await _credentials(running, token), 401, "token_revoked")
        assert body["type"].endswith("/token_revoked") and body["detail"]
    # Signing in again right away works: the new token is newer than the revocation (to the ms).
    fresh = (await tokens_for(running, email))["access_token"]
    assert (await _credentials(running, fresh)).status_code == 200
    assert (await running.client.get("/v1/orders", headers=bearer(fresh))).status_code == 200


async def test_a_suspended_users_token_stops_reading_orders_and_stays_dead_after_reinstating(
    running: RunningApp,
) -> None:
    admin = await make_admin(running)
    email, token = await _trader(running)
    user_id = (await running.client.get("/v1/auth/me", headers=bearer(token))).json()["id"]
    assert (await running.client.get("/v1/orders", headers=bearer(token))).status_code == 200

    suspended = await running.client.post(
        f"/v1/admin/users/{user_id}/suspend", json={"reason": "fraud review"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text
    for path in ("/v1/orders", "/v1/credentials", "/v1/positions", "/v1/dashboard/orders"):
        problem(await running.client.get(path, headers=bearer(token)), 403, "user_suspended")

    reinstated = await running.client.post(f"/v1/admin/users/{user_id}/reinstate", headers=admin)
    assert reinstated.status_code == 200, reinstated.text
    problem(await running.client.get("/v1/orders", headers=bearer(token)), 401, "token_revoked")
    fresh = (await tokens_for(running, email))["access_token"]
    assert (await running.client.get("/v1/orders", headers=bearer(fresh))).status_code == 200


async def test_a_password_change_kills_the_tokens_issued_before_it(running: RunningApp) -> None:
    email, token = await _trader(running)
    other = (await tokens_for(running, email))["access_token"]
    changed = await running.client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(token),
    )
    assert changed.status_code == 204, changed.text
    for old in (token, other):
        problem(await _credentials(running, old), 401, "token_revoked")
    fresh = (await tokens_for(running, email, NEW_PASSWORD))["access_token"]
    assert (await _credentials(running, fresh)).status_code == 200


async def test_revoking_one_session_kills_its_tokens_and_not_the_other_sessions(
    running: RunningApp,
) -> None:
    email, phone = await _trader(running)
    laptop = (await tokens_for(running, email))["access_token"]
    laptop_session = _claims(laptop)["sid"]
    listed = (await running.client.get("/v1/auth/sessions", headers=bearer(phone))).json()
    assert laptop_session in {s["id"] for s in listed} and _claims(phone)["sid"] != laptop_session
    # A step-up token stays in the session it was proved in.
    app = await enrol_totp(running, bearer(laptop))
    stepped_up = (await step_up(running, bearer(laptop), app))["Authorization"].split()[1]
    assert _claims(stepped_up)["sid"] == laptop_session

    revoked = await running.client.delete(
        f"/v1/auth/sessions/{laptop_session}", headers=bearer(phone)
    )
    assert revoked.status_code == 204, revoked.text
    for token in (laptop, stepped_up):
        problem(await _credentials(running, token), 401, "token_revoked")
    assert (await _credentials(running, phone)).status_code == 200


async def test_logging_out_kills_that_sessions_access_token(running: RunningApp) -> None:
    email, phone = await _trader(running)
    laptop = await tokens_for(running, email)
    logout = await running.client.post(
        "/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]}
    )
    assert logout.status_code == 204
    problem(await _credentials(running, laptop["access_token"]), 401, "token_revoked")
    assert (await _credentials(running, phone)).status_code == 200


async def test_another_replica_refuses_a_revoked_token_within_a_second(
    running: RunningApp, make_settings: Any
) -> None:
    email, token = await _trader(running)
    async with serve(create_app(make_settings(modules=("vault",)))) as replica:
        # The replica has read (and cached) this user's revocations: none yet.
        assert (await _credentials(replica, token)).status_code == 200
        signed_out = await running.client.delete("/v1/auth/sessions", headers=bearer(token))
        assert signed_out.status_code == 204
        revoked_at = time.monotonic()
        problem(await _credentials(running, token), 401, "token_revoked")
        while (response := await _credentials(replica, token)).status_code == 200:
            assert time.monotonic() - revoked_at < 1.5, "the replica still accepts the token"
            await asyncio.sleep(0.05)
        problem(response, 401, "token_revoked")
        # A token issued after the revocation works on the replica at once.
        fresh = (await tokens_for(running, email))["access_token"]
        assert (await _credentials(replica, fresh)).status_code == 200


async def _socket_auth(ws: Any, token: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return reply


async def test_a_revoked_token_neither_opens_nor_renews_a_dashboard_socket(
    running: RunningApp,
) -> None:
    _, token = await _trader(running)
    async with connect(running.ws_url) as ws:
        assert (await _socket_auth(ws, token))["type"] == "auth.ok"
        signed_out = await running.client.delete("/v1/auth/sessions", headers=bearer(token))
        assert signed_out.status_code == 204
        # Renewing with the revoked token ends the socket.
        assert await _socket_auth(ws, token) == {"type": "error", "code": "unauthorized"}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4401
    async with connect(running.ws_url) as ws:
        assert await _socket_auth(ws, token) == {"type": "error", "code": "unauthorized"}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4401

"""An open `WS /v1/ws` ends soon after its token stops being valid, on every replica.

Signing out everywhere, revoking or logging out of the socket's session, a password change and a
suspension all close the socket within seconds, with an `error` frame naming why and a 4401 (sign
in again) or 4403 (suspended) close whose reason carries nothing of the token. Sockets of other
sessions stay open. The platform runs identity beside the dashboard, so every revocation goes
through the real HTTP endpoints.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from app import create_app
from bench.launcher import PlatformProcess
from tests.conftest import TEST_JWT_SECRET, RunningApp, serve, truncate_all
from tests.dashboard.helpers import next_message, open_socket
from tests.identity.conftest import PASSWORD, bearer, make_admin, new_email, register, tokens_for

# The socket must be closed this long after the revoking request returned.
DEADLINE_SECONDS = 3.0
REASONS = {4401: {"token revoked", "token expired"}, 4403: {"user suspended"}}


@pytest.fixture
async def running(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    settings = make_settings(modules=("identity", "dashboard"))
    async with serve(create_app(settings)) as running_app:
        yield running_app


class Trader:
    """A registered trader and the sessions they signed in with (each login is one session)."""

    def __init__(self, running: RunningApp, email: str) -> None:
        self.running = running
        self.email = email

    @classmethod
    async def register(cls, running: RunningApp) -> Trader:
        email = new_email()
        await register(running, email)
        return cls(running, email)

    async def sign_in(self, password: str = PASSWORD) -> dict[str, Any]:
        return await tokens_for(self.running, self.email, password)

    async def access_token(self) -> str:
        return str((await self.sign_in())["access_token"])


def _session_id(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


async def _closed_for(ws: ClientConnection, since: float, token: str) -> tuple[str, int]:
    """(error code, close code) of a socket the server ends by `since + DEADLINE_SECONDS`.

    Pushes that were on their way (a security notice, say) may come before the error frame.
    """
    error: str | None = None
    with pytest.raises(ConnectionClosed):
        while True:
            left = since + DEADLINE_SECONDS - time.monotonic()
            message = await next_message(ws, timeout=max(left, 0.01))
            if message["type"] == "error":
                error = message["code"]
    assert time.monotonic() - since < DEADLINE_SECONDS
    assert error is not None, "closed without saying why"
    code, reason = ws.close_code, ws.close_reason
    assert code is not None and reason in REASONS.get(code, set()), (code, reason)
    assert token not in reason and token.split(".")[-1] not in reason
    return error, code


async def _still_open(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    while (await next_message(ws))["type"] != "pong":
        pass


async def _sign_out_everywhere(running: RunningApp, trader: Trader, token: str) -> None:
    response = await running.client.delete("/v1/auth/sessions", headers=bearer(token))
    assert response.status_code == 204, response.text


async def _change_password(running: RunningApp, trader: Trader, token: str) -> None:
    response = await running.client.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long pass phrase"},
        headers=bearer(token),
    )
    assert response.status_code == 204, response.text


Revoke = Callable[[RunningApp, Trader, str], Awaitable[None]]


@pytest.mark.parametrize(
    "revoke", [_sign_out_everywhere, _change_password], ids=["sign_out_everywhere", "password"]
)
async def test_revoking_every_session_closes_every_open_socket(
    running: RunningApp, revoke: Revoke
) -> None:
    trader = await Trader.register(running)
    phone, laptop = (
        await trader.access_token(),
        await trader.access_token(),
    )
    stranger = await (await Trader.register(running)).access_token()
    sockets = [await open_socket(running, token) for token in (phone, laptop, stranger)]

    await revoke(running, trader, phone)
    since = time.monotonic()
    for ws, token in zip(sockets[:2], (phone, laptop), strict=True):
        assert await _closed_for(ws, since, token) == ("token_revoked", 4401)
    await _still_open(sockets[2])
    await sockets[2].close()


async def test_revoking_one_session_closes_only_its_sockets(running: RunningApp) -> None:
    trader = await Trader.register(running)
    phone, laptop = (
        await trader.access_token(),
        await trader.access_token(),
    )
    on_phone, on_laptop = await open_socket(running, phone), await open_socket(running, laptop)
    also_on_laptop = await open_socket(running, laptop)

    response = await running.client.delete(
        f"/v1/auth/sessions/{_session_id(laptop)}", headers=bearer(phone)
    )
    assert response.status_code == 204, response.text
    since = time.monotonic()
    for ws in (on_laptop, also_on_laptop):
        assert await _closed_for(ws, since, laptop) == ("token_revoked", 4401)
    # The sweep that closed the laptop's sockets judged the phone's too, and kept it.
    await _still_open(on_phone)
    await on_phone.close()


async def test_logging_out_closes_that_sessions_socket_only(running: RunningApp) -> None:
    trader = await Trader.register(running)
    phone, laptop = await trader.sign_in(), await trader.sign_in()
    on_phone = await open_socket(running, phone["access_token"])
    on_laptop = await open_socket(running, laptop["access_token"])

    response = await running.client.post(
        "/v1/auth/logout", json={"refresh_token": laptop["refresh_token"]}
    )
    assert response.status_code == 204, response.text
    since = time.monotonic()
    assert await _closed_for(on_laptop, since, laptop["access_token"]) == ("token_revoked", 4401)
    await _still_open(on_phone)
    await on_phone.close()


async def test_suspending_the_user_closes_their_sockets_with_4403(running: RunningApp) -> None:
    admin = await make_admin(running)
    trader = await Trader.register(running)
    token = await trader.access_token()
    ws = await open_socket(running, token)
    admin_socket = await open_socket(running, admin["Authorization"].split()[1])
    user_id = (await running.client.get("/v1/auth/me", headers=bearer(token))).json()["id"]

    response = await running.client.post(
        f"/v1/admin/users/{user_id}/suspend", json={"reason": "fraud review"}, headers=admin
    )
    assert response.status_code == 200, response.text
    since = time.monotonic()
    assert await _closed_for(ws, since, token) == ("user_suspended", 4403)
    await _still_open(admin_socket)
    await admin_socket.close()


async def test_an_expiring_token_closes_its_socket(running: RunningApp) -> None:
    trader = await Trader.register(running)
    session = await trader.access_token()
    # A token of the same session that dies in a second or two, held by a client that never
    # renews it; the session's other socket lives on.
    principal = running.runtime.tokens.verify(session)
    short = running.runtime.tokens.issue(principal, ttl_seconds=2)
    assert _session_id(short) == _session_id(session)
    lasting = await open_socket(running, session)
    ws = await open_socket(running, short)
    expires_at = jwt.decode(short, options={"verify_signature": False})["exp"]
    since = time.monotonic() + max(expires_at - time.time(), 0)
    assert await _closed_for(ws, since, short) == ("token_expired", 4401)
    await _still_open(lasting)
    await lasting.close()


async def test_a_socket_on_another_replica_closes_when_signed_out_here(
    running: RunningApp, database_url: str, tmp_path: Path
) -> None:
    """The replica is `nija run` hosting only the dashboard: its own revocation cache, and no
    event from identity; what it knows of the revocation it reads from the shared state."""
    trader = await Trader.register(running)
    phone, laptop = (
        await trader.access_token(),
        await trader.access_token(),
    )
    replica = PlatformProcess(
        tmp_path / "replica",
        database_url=database_url,
        extra_env={"NIJA_MODULES": "dashboard", "NIJA_JWT_SECRET": TEST_JWT_SECRET},
    )
    replica.start()
    try:
        await replica.wait_ready(60)
        on_phone = await open_socket(replica.ws_url, phone)
        on_laptop = await open_socket(replica.ws_url, laptop)
        response = await running.client.delete(
            f"/v1/auth/sessions/{_session_id(laptop)}", headers=bearer(phone)
        )
        assert response.status_code == 204, response.text
        since = time.monotonic()
        assert await _closed_for(on_laptop, since, laptop) == ("token_revoked", 4401)
        await _still_open(on_phone)

        await _sign_out_everywhere(running, trader, phone)
        since = time.monotonic()
        assert await _closed_for(on_phone, since, phone) == ("token_revoked", 4401)
    finally:
        await asyncio.to_thread(replica.stop)

"""Security events from identity reach the user as in-app notifications and on the socket."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app import create_app
from tests.conftest import register_and_login, serve, truncate_all

PASSWORD = "correct horse battery 9"


async def test_a_password_change_notifies_the_user(make_settings: Any, database_url: str) -> None:
    # The whole platform: identity raises the event, the dashboard turns it into a notification.
    await truncate_all(database_url)
    async with serve(create_app(make_settings())) as running:
        await _change_password_and_watch(running)


async def _change_password_and_watch(running: Any) -> None:
    client = running.client
    email = f"trader-{uuid.uuid4().hex[:8]}@example.com"
    headers = await register_and_login(client, email, password=PASSWORD)
    token = headers["Authorization"].removeprefix("Bearer ")
    async with connect(running.ws_url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "auth.ok"
        changed = await client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "a brand new pass phrase 77"},
            headers=headers,
        )
        assert changed.status_code in (200, 204), changed.text
        await running.settle()
        # The change also revokes this socket's token: the notice and the socket's end race
        # (the guard looks every second), so the socket either pushes the notice or ends as
        # revoked; either way the notice is kept for the next sign-in (checked below).
        try:
            pushed = json.loads(await asyncio.wait_for(ws.recv(), 5))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4401, closed
        else:
            if pushed["type"] == "error":
                assert pushed["code"] == "token_revoked", pushed
            else:
                assert pushed["type"] == "notification.created"
                assert pushed["notification"]["kind"] == "security.password_changed"
    # The change ended every session, this token's too: the user signs in with the new password.
    assert (await client.get("/v1/notifications", headers=headers)).status_code == 401
    signed_in = await client.post(
        "/v1/auth/login", json={"email": email, "password": "a brand new pass phrase 77"}
    )
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    listed = (await client.get("/v1/notifications", headers=headers)).json()
    kinds = [n["kind"] for n in listed["items"]]
    assert kinds == ["security.password_changed"]
    assert PASSWORD not in json.dumps(listed)

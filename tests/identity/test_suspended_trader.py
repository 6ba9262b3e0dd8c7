"""A suspension made in the admin API stops the user's trading at once (routing listens, and
the user's access tokens are refused); reinstating needs a new sign-in."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from tests.conftest import RunningApp
from tests.identity.conftest import bearer, make_admin, new_email, problem, register, tokens_for

ORDER = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}


async def _place(running: RunningApp, headers: dict[str, str]) -> Any:
    """POST an order, retrying while market data has not arrived yet (503)."""
    deadline = time.monotonic() + 20
    while True:
        response = await running.client.post("/v1/orders", json=ORDER, headers=headers)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.5)  # well inside the 60 requests a minute of a basic user


async def test_a_suspended_users_next_order_is_refused(running: RunningApp) -> None:
    admin = await make_admin(running)
    email = new_email("trader")
    user_id = await register(running, email)
    headers = bearer((await tokens_for(running, email))["access_token"])
    for venue in ("coinbase", "kraken", "binance"):
        stored = await running.client.post(
            "/v1/credentials",
            json={
                "venue": venue,
                "api_key": f"{venue}-key-{secrets.token_hex(8)}",
                "api_secret": secrets.token_urlsafe(32),
            },
            headers=headers,
        )
        assert stored.status_code == 201, stored.text
    settings = await running.client.patch(
        "/v1/settings/trading",
        json={"equity_usd": "1000000000", "risk_level": "high"},
        headers=headers,
    )
    assert settings.status_code == 200, settings.text
    await running.settle()
    placed = await _place(running, headers)
    assert placed.status_code == 202, placed.text

    suspended = await running.client.post(
        f"/v1/admin/users/{user_id}/suspend", json={"reason": "fraud review"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text
    await running.settle()
    problem(await _place(running, headers), 403, "user_suspended")

    problem(await running.client.get("/v1/orders", headers=headers), 403, "user_suspended")

    reinstated = await running.client.post(f"/v1/admin/users/{user_id}/reinstate", headers=admin)
    assert reinstated.status_code == 200, reinstated.text
    await running.settle()
    # Reinstating does not revive the tokens the suspension killed: the trader signs in again.
    problem(await _place(running, headers), 401, "token_revoked")
    headers = bearer((await tokens_for(running, email))["access_token"])
    assert (await _place(running, headers)).status_code == 202

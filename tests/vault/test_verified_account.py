"""Verifying a credential shows what the account holds and how many markets it can trade
(the app's Connect Exchange step 3), over real HTTP, and tells routing the account's equity."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from modules.execution.contracts import BalanceChanged
from tests.conftest import RunningApp, serve, truncate_all
from tests.routing.support import Tap
from tests.vault.conftest import User, material, store


@pytest.fixture
async def running(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    """The platform with the default paper wallet (the suite's other tests get deep ones)."""
    await truncate_all(database_url)
    async with serve(create_app(make_settings(sim_paper_usd=10_000))) as running_app:
        yield running_app


async def _verified(running: RunningApp, user: User, body: dict[str, Any]) -> dict[str, Any]:
    stored = await store(running, user, body)
    path = f"/v1/credentials/{stored['id']}"
    assert (stored["balances"], stored["markets"]) == ({}, 0)  # not verified yet
    response = await running.client.post(f"{path}/verify", headers=user.headers)
    assert response.status_code == 202, response.text
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        shown: dict[str, Any] = (await running.client.get(path, headers=user.headers)).json()
        if shown["verification"] != "pending":
            return shown
        assert asyncio.get_running_loop().time() < deadline, "verification never answered"
        await asyncio.sleep(0.02)


async def test_a_verified_paper_account_shows_its_wallet_and_markets(running: RunningApp) -> None:
    tap = Tap().attach(running, BalanceChanged.TOPIC)
    alice = User(running)
    kraken = await _verified(running, alice, material("kraken"))
    assert kraken["verification"] == "verified"
    # A new paper account: NIJA_SIM_PAPER_USD (10,000 by default) and kraken's four markets.
    assert kraken["balances"] == {"USD": "10000"}
    assert kraken["markets"] == 4
    coinbase = await _verified(running, alice, material("coinbase"))
    assert (coinbase["balances"], coinbase["markets"]) == ({"USD": "10000"}, 3)
    # The listing shows the same.
    listed = (await running.client.get("/v1/credentials", headers=alice.headers)).json()
    assert {c["venue"]: c["markets"] for c in listed} == {"kraken": 4, "coinbase": 3}

    await running.settle()
    reported = {e.venue: e for e in tap.of(BalanceChanged, user_id=alice.user_id)}
    assert set(reported) == {"kraken", "coinbase"}
    assert reported["kraken"].credential_id == kraken["id"]
    assert reported["kraken"].balances == {"USD": Decimal(10_000)}
    assert reported["kraken"].equity_usd == Decimal(10_000)


async def test_a_refused_key_shows_no_account(running: RunningApp) -> None:
    alice = User(running)
    refused = await _verified(running, alice, material("kraken", prefix="wd-"))
    assert (refused["verification"], refused["status"]) == ("refused", "revoked")
    assert (refused["balances"], refused["markets"]) == ({}, 0)

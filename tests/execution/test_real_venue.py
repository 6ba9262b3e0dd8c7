"""Sandbox/live credentials trade through ccxt: the whole platform against the Binance simulator.

The simulator (tests/fakes/binance_sim.py) is a separate process speaking Binance's spot REST
API; ccxt's own `binance` class talks to it. Simulated credentials keep using the sim venue.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from modules.execution.contracts import (
    CredentialUnsealed,
    CredentialVerified,
    OrderAccepted,
    OrderFilled,
)
from modules.kernel.sealing import CredentialMaterial, new_wrapped_data_key, seal
from modules.vault.contracts import CredentialStored, CredentialVerificationRequested
from tests.conftest import RunningApp
from tests.execution.support import execution, routed, rows
from tests.routing.support import Tap, Trader, announce, new_trader

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exchange() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.binance_sim", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "simulator did not start"
        yield json.loads(process.stdout.readline())["base_url"]
    finally:
        process.terminate()
        process.wait(5)


def account(base_url: str, prefix: str) -> CredentialMaterial:
    key = f"{prefix}-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    httpx.post(
        f"{base_url}/_sim/accounts", json={"api_key": key, "api_secret": secret}
    ).raise_for_status()
    return CredentialMaterial(api_key=key, api_secret=secret)


def sandbox_credential(
    running: RunningApp, trader: Trader, material: CredentialMaterial
) -> CredentialStored:
    keyring = running.runtime.keyring
    wrapped = new_wrapped_data_key(keyring, trader.user_id)
    return CredentialStored(
        credential_id=str(uuid.uuid4()),
        user_id=trader.user_id,
        venue="binance",
        key_hint=material.api_key[-4:],
        version=1,
        sealed=seal(keyring, wrapped, trader.user_id, "binance", material),
        environment="sandbox",
    )


def point_at(running: RunningApp, base_url: str) -> None:
    execution(running).credentials.ccxt_urls["binance"] = {
        "public": f"{base_url}/api/v3",
        "private": f"{base_url}/api/v3",
        "sapi": f"{base_url}/sapi/v1",
    }


async def test_a_sandbox_credential_places_at_the_exchange_through_ccxt(
    running: RunningApp, exchange: str
) -> None:
    point_at(running, exchange)
    tap = Tap().attach(running, OrderAccepted.TOPIC, OrderFilled.TOPIC, CredentialUnsealed.TOPIC)
    trader = new_trader(running)
    stored = sandbox_credential(running, trader, account(exchange, "key"))
    await announce(running, stored)
    trader.credentials["binance"] = stored.credential_id
    order = routed(trader, "binance", quantity=Decimal("0.001"))
    await announce(running, order)

    (accepted,) = tap.distinct(OrderAccepted, order_id=order.order_id)
    assert accepted.client_order_id == order.client_order_id
    fills = tap.distinct(OrderFilled, order_id=order.order_id)
    assert fills and fills[-1].status == "filled"
    assert sum(f.quantity for f in fills) == order.quantity
    (unsealed,) = tap.distinct(CredentialUnsealed, order_id=order.order_id)
    assert unsealed.credential_id == stored.credential_id
    at_exchange = [
        o
        for o in httpx.get(f"{exchange}/_sim/orders").json()
        if o["client_order_id"] == order.client_order_id
    ]
    assert len(at_exchange) == 1
    # Nothing reached the simulated venue of the same name.
    assert not await rows(
        running,
        "SELECT 1 FROM execution.sim_orders WHERE client_order_id = $1",
        order.client_order_id,
    )


async def test_verification_of_a_sandbox_key_asks_the_exchange(
    running: RunningApp, exchange: str
) -> None:
    point_at(running, exchange)
    tap = Tap().attach(running, CredentialVerified.TOPIC)
    trader = new_trader(running)
    outcomes: dict[str, Any] = {}
    for prefix in ("wd", "ro"):
        stored = sandbox_credential(running, trader, account(exchange, prefix))
        await announce(running, stored)
        request = CredentialVerificationRequested(
            request_id=str(uuid.uuid4()),
            credential_id=stored.credential_id,
            user_id=trader.user_id,
            venue="binance",
        )
        await announce(running, request)
        (verdict,) = tap.of(CredentialVerified, request_id=request.request_id)
        outcomes[prefix] = (verdict.ok, verdict.permissions)
    assert outcomes["wd"] == (True, ["read", "trade", "withdraw"])
    assert outcomes["ro"] == (True, ["read"])

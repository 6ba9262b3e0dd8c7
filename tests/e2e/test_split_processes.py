"""Splitting out a module by configuration alone.

Two `nija run` processes share nothing but a Dapr sidecar (the fake built on the SDK's gRPC
stubs, run as its own process): one hosts identity, vault, routing and the dashboard, the other
hosts only execution. An order placed on the first is filled by the second, and the fill comes
back to the trader's socket on the first.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench.launcher import PlatformProcess, free_port, fresh_database
from tests.e2e.trader import (
    authenticated_socket,
    register_and_login,
    settled_order,
    store_credentials,
    wait_for_fill,
)

ROOT = Path(__file__).resolve().parents[2]
FRONT_MODULES = "identity,vault,routing,dashboard"


@pytest.fixture
async def sidecar() -> AsyncIterator[dict[str, str]]:
    command = [
        sys.executable,
        "-m",
        "tests.fakes.dapr_sidecar",
        "--grpc-port=0",
        "--http-port=0",
        f"--components={ROOT / 'dapr' / 'components'}",
        "--max-attempts=10",
    ]
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert process.stdout is not None
        yield json.loads(await asyncio.wait_for(process.stdout.readline(), timeout=20))
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


async def _place_when_market_data_arrives(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> str:
    """The front process learns books only from the other process's events: wait for them."""
    order = {"symbol": "ETH/USD", "side": "buy", "type": "market", "quantity": "0.05"}
    for _ in range(150):
        placed = await client.post("/v1/orders", json=order, headers=headers)
        if placed.status_code == 202:
            order_id: str = placed.json()["id"]
            return order_id
        assert placed.status_code in (422, 503), placed.text
        await asyncio.sleep(0.2)
    raise AssertionError(f"the order was never accepted: {placed.text}")


@pytest.mark.timeout(420)
async def test_an_order_placed_on_one_process_is_filled_by_the_other(
    embedded_tmp_path: Path, sidecar: dict[str, str]
) -> None:
    # One data dir: both processes share the embedded server (or a fresh database on the test
    # server) and the local keyring file, standing in for Vault Transit in production.
    data_dir = embedded_tmp_path / "data"
    server = os.environ.get("NIJA_TEST_DATABASE_URL") or None
    dapr_env = {
        "NIJA_PUBSUB": "dapr",
        "NIJA_STATE": "dapr",
        "NIJA_DAPR_GRPC_ADDRESS": sidecar["grpc_address"],
        "NIJA_DAPR_HTTP_ENDPOINT": sidecar["http_endpoint"],
    }
    async with (
        fresh_database(server, "nija_split") as database_url,
        httpx.AsyncClient(base_url=sidecar["http_endpoint"], timeout=30) as control,
    ):
        front = PlatformProcess(
            data_dir,
            database_url=database_url,
            extra_env={**dapr_env, "NIJA_MODULES": FRONT_MODULES},
            port=free_port(),
        )
        back = PlatformProcess(
            data_dir,
            database_url=database_url,
            extra_env={**dapr_env, "NIJA_MODULES": "execution"},
            port=free_port(),
        )
        front.start()
        try:
            await front.wait_ready()
            back.start()
            await back.wait_ready()
            for process in (front, back):
                added = await control.post("/fake/apps", json={"url": process.base_url})
                assert added.status_code == 204, added.text
            subscribed = httpx.get(f"{back.base_url}/dapr/subscribe").json()
            assert {s["topic"] for s in subscribed} >= {"routing.order-routed.v1"}
            assert "/v1/orders" not in httpx.get(f"{back.base_url}/schema/openapi.json").text

            async with httpx.AsyncClient(base_url=front.base_url, timeout=30) as client:
                token = await register_and_login(client, "split correct horse 42")
                headers = {"Authorization": f"Bearer {token}"}
                await store_credentials(client, headers)
                ws = await authenticated_socket(front.ws_url, token)
                try:
                    order_id = await _place_when_market_data_arrives(client, headers)
                    pushed = await wait_for_fill(ws, order_id)
                finally:
                    await ws.close()
                order = await settled_order(client, order_id, headers)
            assert pushed["fill"]["venue"] == order["venue"] == order["route"]["chosen"]
        finally:
            await asyncio.to_thread(back.stop)
            await asyncio.to_thread(front.stop)

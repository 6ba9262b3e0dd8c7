"""Transit key rotation: rewrap every data key in place while the platform keeps serving."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from modules.kernel.sealing import TRANSIT_KEY
from modules.vault.contracts import UserDataKeyRewrapped
from tests.conftest import RunningApp, serve, truncate_all
from tests.fakes.vault_server import FakeVault
from tests.vault.conftest import EventProbe, User, fetch, material, store

NIJA = str(Path(sys.executable).parent / "nija")
BUY = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}


async def _wrapped_versions(running: RunningApp) -> set[str]:
    rows = await fetch(
        running,
        "SELECT split_part(wrapped_data_key, ':', 2) AS v FROM vault.user_keys UNION "
        "SELECT split_part(wrapped_data_key, ':', 2) FROM vault.credentials "
        "WHERE wrapped_data_key IS NOT NULL UNION "
        "SELECT split_part(wrapped_data_key, ':', 2) FROM vault.credential_versions "
        "WHERE wrapped_data_key IS NOT NULL",
    )
    return {row["v"] for row in rows}


async def _order_works(running: RunningApp, user: User) -> None:
    for _ in range(20):  # routing needs the credential and a book first
        await running.settle()
        placed = await running.client.post("/v1/orders", json=BUY, headers=user.headers)
        if placed.status_code == 202:
            break
    assert placed.status_code == 202, placed.text
    await running.settle()
    order = await running.client.get(f"/v1/orders/{placed.json()['id']}", headers=user.headers)
    assert order.json()["status"] in ("accepted", "partially_filled", "filled"), order.text


async def test_rotate_keys_rewraps_every_data_key_and_nothing_stops_working(
    running: RunningApp,
) -> None:
    alice, bob = User(running), User(running)
    credential = await store(running, alice, material("coinbase"))
    await store(running, bob, material("kraken"))
    rotation = {k: v for k, v in material().items() if k != "venue"}
    path = f"/v1/credentials/{credential['id']}"
    assert (await running.client.put(path, json=rotation, headers=alice.headers)).is_success
    assert await _wrapped_versions(running) == {"v1"}

    rewraps = EventProbe()
    topic = UserDataKeyRewrapped.TOPIC
    running.runtime.pubsub.subscribe(topic, "tests.vault.rewraps", rewraps)
    vault_module = running.app.state.platform.modules["vault"]
    assert await vault_module.rotate_keys() == {"version": 2, "rewrapped": 2}
    assert await _wrapped_versions(running) == {"v2"}
    await running.settle()
    keys = await fetch(running, "SELECT user_id, wrapped_data_key FROM vault.user_keys")
    events = [e for e in rewraps.events if isinstance(e, UserDataKeyRewrapped)]
    assert sorted((e.user_id, e.wrapped_data_key, e.transit_version) for e in events) == sorted(
        (k["user_id"], k["wrapped_data_key"], 2) for k in keys
    )
    # Old wrappings stay readable until an operator raises the minimum decryption version, so
    # execution's copies from before the rotation still open: orders keep working.
    await _order_works(running, alice)
    assert running.runtime.keyring.key_info(TRANSIT_KEY).latest_version == 2
    # A second rotation in a row only rewraps what is not yet under the newest version.
    assert await vault_module.rotate_keys() == {"version": 3, "rewrapped": 2}
    entries = await fetch(
        running, "SELECT actor_id, details FROM vault.audit_log WHERE action = 'rotate_keys'"
    )
    assert [e["actor_id"] for e in entries] == ["cli", "cli"]


async def test_retiring_old_key_versions_keeps_execution_able_to_place_orders(
    running: RunningApp,
) -> None:
    alice = User(running)
    await store(running, alice, material("coinbase"))
    await _order_works(running, alice)
    before = await fetch(running, "SELECT wrapped_data_key FROM execution.credentials")
    assert {row["wrapped_data_key"].split(":")[1] for row in before} == {"v1"}

    vault_module = running.app.state.platform.modules["vault"]
    assert (await vault_module.rotate_keys())["version"] == 2
    await running.settle()
    # Execution's sealed copy followed the vault's rewrap ...
    after = await fetch(running, "SELECT wrapped_data_key FROM execution.credentials")
    keys = await fetch(running, "SELECT wrapped_data_key FROM vault.user_keys")
    assert [row["wrapped_data_key"] for row in after] == [keys[0]["wrapped_data_key"]]
    # ... so an operator may retire v1 and the trader's orders still go through.
    running.runtime.keyring.set_min_decryption_version(TRANSIT_KEY, 2)
    await _order_works(running, alice)
    rejected = await fetch(
        running, "SELECT count(*) AS n FROM execution.orders WHERE status = 'rejected'"
    )
    assert rejected[0]["n"] == 0


def _nija(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [NIJA, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_the_cli_rotates_while_the_server_keeps_serving(
    running: RunningApp, database_url: str
) -> None:
    alice = User(running)
    await store(running, alice, material("coinbase"))
    env = {
        **os.environ,
        "NIJA_DATABASE_URL": database_url,
        "NIJA_DATA_DIR": running.runtime.settings.data_dir,
        "NIJA_LOG_LEVEL": "WARNING",
    }
    output = await asyncio.to_thread(_nija, ["vault", "rotate-keys"], env)
    assert "transit key rotated to v2; 1 data keys rewrapped" in output
    assert await _wrapped_versions(running) == {"v2"}
    # The running server never restarted: it reads the rotated key file and goes on.
    again = await store(running, alice, material("coinbase"))
    assert again["version"] == 2
    await _order_works(running, alice)


@pytest.fixture
async def scheduled(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    app = create_app(make_settings(key_rotation_interval_seconds=0.3))
    async with serve(app) as running:
        yield running


async def test_the_transit_key_rotates_on_schedule(scheduled: RunningApp) -> None:
    alice = User(scheduled)
    await store(scheduled, alice, material("binance"))
    query = "SELECT actor_id FROM vault.audit_log WHERE action = 'rotate_keys'"
    for _ in range(100):
        await asyncio.sleep(0.05)
        entries = await fetch(scheduled, query)
        if len(entries) >= 2:
            break
    assert len(entries) >= 2 and {e["actor_id"] for e in entries} == {"schedule"}
    assert scheduled.runtime.keyring.key_info(TRANSIT_KEY).latest_version >= 3
    latest = scheduled.runtime.keyring.key_info(TRANSIT_KEY).latest_version
    assert await _wrapped_versions(scheduled) <= {f"v{latest}", f"v{latest - 1}"}


@pytest.fixture
def fake_vault() -> Iterator[tuple[FakeVault, str]]:
    vault = FakeVault("nija-role", "approle-secret-id-77aa01", ttl=30, max_ttl=300)
    url = vault.serve()
    yield vault, url
    vault.close()


async def test_the_platform_on_vault_transit(
    make_settings: Any, database_url: str, fake_vault: tuple[FakeVault, str]
) -> None:
    vault, url = fake_vault
    await truncate_all(database_url)
    settings = make_settings(
        keyring="vault",
        vault_addr=url,
        vault_role_id="nija-role",
        vault_secret_id="approle-secret-id-77aa01",
    )
    async with serve(create_app(settings)) as running:
        alice = User(running)
        await store(running, alice, material("coinbase"))
        wrapped = await fetch(running, "SELECT wrapped_data_key FROM vault.user_keys")
        assert wrapped[0]["wrapped_data_key"].startswith("vault:v1:")
        assert vault.keys[TRANSIT_KEY].derived
        await _order_works(running, alice)
        vault_module = running.app.state.platform.modules["vault"]
        assert await vault_module.rotate_keys() == {"version": 2, "rewrapped": 1}
        assert await _wrapped_versions(running) == {"v2"}
        await _order_works(running, alice)
        assert "POST /v1/auth/approle/login" in vault.calls
        assert any(call.startswith("POST /v1/transit/rewrap/") for call in vault.calls)

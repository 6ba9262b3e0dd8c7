"""The plaintext of a credential is nowhere but in memory, and the sealed form only opens for
its own user and venue."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest

from modules.kernel.events import CloudEvent
from modules.kernel.sealing import CredentialMaterial, SealedSecret, UnsealError, unseal
from modules.vault.contracts import CredentialStored
from tests.conftest import LogCapture, RunningApp, register_and_login
from tests.vault.conftest import EventProbe, User, scan_database


async def _user(running: RunningApp) -> tuple[dict[str, str], str]:
    headers = await register_and_login(running.client)
    me = await running.client.get("/v1/auth/me", headers=headers)
    return headers, me.json()["id"]


def _material(venue: str) -> dict[str, Any]:
    return {
        "venue": venue,
        "api_key": f"AKIA{uuid.uuid4().hex.upper()}",
        "api_secret": f"sk-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "passphrase": f"pp-{uuid.uuid4().hex}",
    }


async def test_plaintext_is_nowhere_in_db_responses_logs_or_events(
    running: RunningApp, captured_logs: LogCapture, probe: EventProbe
) -> None:
    headers, user_id = await _user(running)
    first, second = _material("coinbase"), _material("coinbase")
    responses = [await running.client.post("/v1/credentials", json=first, headers=headers)]
    responses.append(await running.client.post("/v1/credentials", json=second, headers=headers))
    responses.append(await running.client.get("/v1/credentials", headers=headers))
    stored_id = responses[1].json()["id"]
    responses.append(await running.client.get(f"/v1/credentials/{stored_id}", headers=headers))
    responses.append(await running.client.delete(f"/v1/credentials/{stored_id}", headers=headers))
    assert [r.status_code for r in responses] == [201, 201, 200, 200, 204]
    await running.settle()

    secrets = [m[k] for m in (first, second) for k in ("api_key", "api_secret", "passphrase")]
    for response in responses:
        for secret in secrets:
            assert secret not in response.text and secret not in json.dumps(dict(response.headers))
    assert captured_logs.lines, "the capture saw no log records at all"
    assert not [s for s in secrets if s in captured_logs.text]
    for envelope in probe.envelopes:
        raw = msgspec.json.encode(envelope).decode()
        assert not [s for s in secrets if s in raw]

    async with running.runtime.db.connection() as conn:
        found = await scan_database(conn, [*secrets, user_id])
        outbox = await conn.fetch("SELECT envelope FROM vault.outbox")
    # The scan is live: it finds the user id (in identity and vault tables) ...
    assert any(place.startswith('"identity"."users"') for place in found.pop(user_id))
    # ... and not one plaintext value anywhere.
    assert found == {secret: [] for secret in secrets}
    assert len(outbox) == 4  # stored, revoked (replaced), stored, revoked
    assert not [s for row in outbox for s in secrets if s.encode() in row["envelope"]]


async def test_the_stored_event_opens_for_its_user_and_venue_only(
    running: RunningApp, probe: EventProbe
) -> None:
    headers, user_id = await _user(running)
    sent = _material("kraken")
    response = await running.client.post("/v1/credentials", json=sent, headers=headers)
    assert response.status_code == 201
    await running.settle()

    [event] = [e for e in probe.events if isinstance(e, CredentialStored)]
    assert (event.user_id, event.venue, event.version) == (user_id, "kraken", 1)
    assert event.credential_id == response.json()["id"]
    assert event.key_hint == sent["api_key"][-4:]
    keyring = running.runtime.keyring
    opened = unseal(keyring, event.sealed, user_id, "kraken")
    assert opened == CredentialMaterial(
        api_key=sent["api_key"], api_secret=sent["api_secret"], passphrase=sent["passphrase"]
    )
    with pytest.raises(UnsealError):
        unseal(keyring, event.sealed, str(uuid.uuid4()), "kraken")
    with pytest.raises(UnsealError):
        unseal(keyring, event.sealed, user_id, "binance")


async def test_a_blob_copied_to_another_users_row_does_not_open(running: RunningApp) -> None:
    alice_headers, alice = await _user(running)
    bob_headers, bob = await _user(running)
    for headers in (alice_headers, bob_headers):
        response = await running.client.post(
            "/v1/credentials", json=_material("binance"), headers=headers
        )
        assert response.status_code == 201

    async with running.runtime.db.connection() as conn:
        # An attacker with write access to the table swaps Alice's sealed blob into Bob's row.
        await conn.execute(
            "UPDATE vault.credentials AS b SET ciphertext = a.ciphertext, "
            "wrapped_data_key = a.wrapped_data_key FROM vault.credentials AS a "
            "WHERE a.user_id = $1 AND b.user_id = $2",
            alice,
            bob,
        )
        row = await conn.fetchrow(
            "SELECT ciphertext, wrapped_data_key FROM vault.credentials WHERE user_id = $1", bob
        )
    sealed = SealedSecret(ciphertext=row["ciphertext"], wrapped_data_key=row["wrapped_data_key"])
    keyring = running.runtime.keyring
    assert unseal(keyring, sealed, alice, "binance").api_key  # it is Alice's, and opens for her
    with pytest.raises(UnsealError):
        unseal(keyring, sealed, bob, "binance")


async def test_each_user_has_one_wrapped_data_key(running: RunningApp) -> None:
    alice_headers, alice = await _user(running)
    _, bob = await _user(running)
    for venue in ("coinbase", "kraken"):
        response = await running.client.post(
            "/v1/credentials", json=_material(venue), headers=alice_headers
        )
        assert response.status_code == 201
    async with running.runtime.db.connection() as conn:
        keys = await conn.fetch("SELECT user_id, wrapped_data_key FROM vault.user_keys")
        used = await conn.fetch("SELECT DISTINCT wrapped_data_key FROM vault.credentials")
    assert [k["user_id"] for k in keys] == [alice]  # Bob stored nothing, so has no key
    assert keys[0]["wrapped_data_key"].startswith("vault:v1:")
    assert [u["wrapped_data_key"] for u in used] == [keys[0]["wrapped_data_key"]]
    assert bob != alice


async def test_stored_envelope_in_the_outbox_is_a_cloud_event(running: RunningApp) -> None:
    headers, user_id = await _user(running)
    await running.client.post("/v1/credentials", json=_material("coinbase"), headers=headers)
    async with running.runtime.db.connection() as conn:
        row = await conn.fetchrow("SELECT topic, envelope FROM vault.outbox")
    envelope = msgspec.json.decode(row["envelope"], type=CloudEvent)
    assert row["topic"] == envelope.type == CredentialStored.TOPIC
    assert envelope.source == "nija/vault"
    assert envelope.data is not None
    event = msgspec.json.decode(bytes(envelope.data), type=CredentialStored)
    assert event.user_id == user_id


def _files_containing(paths: list[Path], needles: list[bytes]) -> dict[bytes, list[str]]:
    found: dict[bytes, list[str]] = {needle: [] for needle in needles}
    for path in paths:
        try:
            blob = path.read_bytes()
        except OSError:
            continue
        for needle in needles:
            if needle in blob:
                found[needle].append(str(path))
    return found


async def _database_files(running: RunningApp) -> list[Path] | None:
    """Our database's heap files and the WAL, if this machine can read the server's files."""
    async with running.runtime.db.connection() as conn:
        await conn.execute("CHECKPOINT")  # heap pages and WAL flushed to disk
        data_dir = Path(await conn.fetchval("SHOW data_directory"))
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    base = data_dir / "base" / str(oid)
    if not os.access(base, os.R_OK | os.X_OK):
        return None
    return [p for root in (base, data_dir / "pg_wal") for p in root.rglob("*") if p.is_file()]


async def test_the_whole_lifecycle_leaves_no_plaintext_anywhere(
    running: RunningApp, captured_logs: LogCapture
) -> None:
    recorder = EventProbe()
    for topic in (
        "vault.credential-stored.v1",
        "vault.credential-revoked.v1",
        "vault.credential-verification-requested.v1",
        "execution.credential-verified.v1",
        "execution.credential-unsealed.v1",
        "execution.order-accepted.v1",
        "execution.order-rejected.v1",
        "routing.order-routed.v1",
    ):
        running.runtime.pubsub.subscribe(topic, f"tests.secrecy.{topic}", recorder)
    alice = User(running)
    label = f"label-{uuid.uuid4().hex[:12]}"
    first, second = _material("coinbase"), _material("coinbase")
    sent: list[Any] = []
    sent.append(
        await running.client.post(
            "/v1/credentials", json={**first, "label": label}, headers=alice.headers
        )
    )
    path = f"/v1/credentials/{sent[0].json()['id']}"
    rotation = {k: v for k, v in second.items() if k != "venue"}
    sent.append(await running.client.put(path, json=rotation, headers=alice.headers))
    sent.append(await running.client.post(f"{path}/verify", headers=alice.headers))
    await running.settle()
    order = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    for _ in range(20):
        placed = await running.client.post("/v1/orders", json=order, headers=alice.headers)
        if placed.status_code == 202:
            break
        await running.settle()
    sent.append(placed)
    await running.settle()
    sent.append(await running.client.get("/v1/credentials", headers=alice.headers))
    sent.append(await running.client.get("/v1/audit", headers=alice.headers))
    sent.append(await running.client.delete(path, headers=alice.headers))
    await running.settle()
    assert [r.status_code for r in sent] == [201, 200, 202, 202, 200, 200, 204]

    secrets = [m[k] for m in (first, second) for k in ("api_key", "api_secret", "passphrase")]
    for response in sent:
        assert not [s for s in secrets if s in response.text + json.dumps(dict(response.headers))]
    assert not [s for s in secrets if s in captured_logs.text]
    kinds = {envelope.type for envelope in recorder.envelopes}
    assert {"execution.credential-unsealed.v1", "execution.credential-verified.v1"} <= kinds
    for envelope in recorder.envelopes:
        assert not [s for s in secrets if s in msgspec.json.encode(envelope).decode()]
    async with running.runtime.db.connection() as conn:
        found = await scan_database(conn, [*secrets, label])
    assert found.pop(label), "the table scan is live: it finds the label"
    assert found == {secret: [] for secret in secrets}

    files = await _database_files(running)
    if files is None:
        pytest.skip("the database server's files are not readable from this machine")
    on_disk = _files_containing(files, [s.encode() for s in [*secrets, label]])
    assert on_disk.pop(label.encode()), "the file scan is live: it finds the label on disk"
    assert on_disk == {secret.encode(): [] for secret in secrets}

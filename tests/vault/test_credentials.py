"""Storing, listing, replacing and revoking exchange credentials over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from modules.vault.contracts import CredentialRevoked, CredentialStored
from tests.conftest import RunningApp, register_and_login
from tests.vault.conftest import EventProbe

PUBLIC_FIELDS = {
    "id",
    "venue",
    "label",
    "key_hint",
    "status",
    "version",
    "created_at",
    "environment",
    "verification",
    "permissions",
    "refusal_reason",
    "rotated_at",
    "verified_at",
    "balances",
    "markets",
}


def _material(venue: str = "coinbase", **extra: Any) -> dict[str, Any]:
    return {
        "venue": venue,
        "api_key": f"key-{uuid.uuid4().hex}",
        "api_secret": f"secret-{uuid.uuid4().hex}",
        **extra,
    }


async def _store(running: RunningApp, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return await running.client.post("/v1/credentials", json=body, headers=headers)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


async def test_store_then_list_and_get(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    sent = _material("Kraken ", label="  main account ")
    response = await _store(running, headers, sent)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert set(stored) == PUBLIC_FIELDS
    assert stored["venue"] == "kraken" and stored["label"] == "main account"
    assert stored["key_hint"] == sent["api_key"][-4:]
    assert stored["status"] == "active" and stored["version"] == 1
    assert sent["api_key"] not in response.text and sent["api_secret"] not in response.text

    listed = await running.client.get("/v1/credentials", headers=headers)
    assert listed.status_code == 200 and listed.json() == [stored]
    one = await running.client.get(f"/v1/credentials/{stored['id']}", headers=headers)
    assert one.status_code == 200 and one.json() == stored


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"venue": "ftx"}, 422, "unknown_venue"),
        ({"venue": ""}, 400, "invalid_request"),
        ({"api_key": "short"}, 400, "invalid_request"),
        ({"api_key": "   abc      "}, 422, "invalid_credential"),
        ({"api_secret": "x" * 513}, 400, "invalid_request"),
        ({"api_secret": None}, 400, "invalid_request"),
        ({"passphrase": "   "}, 422, "invalid_credential"),
        ({"label": "l" * 65}, 400, "invalid_request"),
    ],
)
async def test_bad_credentials_are_refused_with_problems(
    running: RunningApp, change: dict[str, Any], status: int, code: str
) -> None:
    headers = await register_and_login(running.client)
    body = _problem(await _store(running, headers, {**_material(), **change}), status, code)
    for value in change.values():
        if isinstance(value, str) and len(value.strip()) > 2:
            assert value.strip() not in str(body.get("detail")) + str(body.get("errors"))
    assert (await running.client.get("/v1/credentials", headers=headers)).json() == []


async def test_requests_without_a_valid_token_or_body_are_problems(running: RunningApp) -> None:
    _problem(await running.client.post("/v1/credentials", json=_material()), 401, "missing_token")
    _problem(await running.client.get("/v1/credentials"), 401, "missing_token")
    headers = await register_and_login(running.client)
    response = await running.client.post(
        "/v1/credentials",
        content=b'{"venue": "coinbase", "api_key": ',
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    missing = await running.client.get(f"/v1/credentials/{uuid.uuid4()}", headers=headers)
    _problem(missing, 404, "credential_not_found")
    not_an_id = await running.client.get("/v1/credentials/not-a-uuid", headers=headers)
    assert 400 <= not_an_id.status_code < 500
    assert not_an_id.headers["content-type"].startswith("application/problem+json")


async def test_another_users_credential_is_not_found(running: RunningApp) -> None:
    alice = await register_and_login(running.client)
    bob = await register_and_login(running.client)
    credential = (await _store(running, alice, _material())).json()
    path = f"/v1/credentials/{credential['id']}"

    as_bob = _problem(await running.client.get(path, headers=bob), 404, "credential_not_found")
    unknown = _problem(
        await running.client.get(f"/v1/credentials/{uuid.uuid4()}", headers=bob),
        404,
        "credential_not_found",
    )
    assert {k: v for k, v in as_bob.items() if k not in ("request_id", "instance")} == {
        k: v for k, v in unknown.items() if k not in ("request_id", "instance")
    }
    _problem(await running.client.delete(path, headers=bob), 404, "credential_not_found")
    assert (await running.client.get("/v1/credentials", headers=bob)).json() == []
    still = await running.client.get(path, headers=alice)
    assert still.json()["status"] == "active"


async def test_revoke_wipes_the_sealed_material_audits_and_publishes(
    running: RunningApp, probe: EventProbe
) -> None:
    headers = await register_and_login(running.client)
    credential = (await _store(running, headers, _material("binance"))).json()
    path = f"/v1/credentials/{credential['id']}"

    response = await running.client.delete(path, headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert (await running.client.get(path, headers=headers)).json()["status"] == "revoked"
    assert (await running.client.delete(path, headers=headers)).status_code == 204  # idempotent
    await running.settle()

    async with running.runtime.db.connection() as conn:
        row = await conn.fetchrow(
            "SELECT ciphertext, wrapped_data_key, revoked_at FROM vault.credentials WHERE id = $1",
            uuid.UUID(credential["id"]),
        )
        audit = await conn.fetch(
            "SELECT action, credential_id, venue FROM vault.audit_log ORDER BY id"
        )
        versions = await conn.fetch(
            "SELECT ciphertext, wrapped_data_key, destroyed_at FROM vault.credential_versions "
            "WHERE credential_id = $1",
            uuid.UUID(credential["id"]),
        )
    assert row["ciphertext"] is None and row["wrapped_data_key"] is None
    # Every kept version goes with it.
    assert [tuple(v.values())[:2] for v in versions] == [(None, None)]
    assert versions[0]["destroyed_at"] is not None
    assert row["revoked_at"] is not None
    assert [(a["action"], str(a["credential_id"]), a["venue"]) for a in audit] == [
        ("store", credential["id"], "binance"),
        ("revoke", credential["id"], "binance"),
    ]
    assert [type(e) for e in probe.events] == [CredentialStored, CredentialRevoked]
    revoked = probe.events[1]
    assert isinstance(revoked, CredentialRevoked)
    assert (revoked.credential_id, revoked.venue) == (credential["id"], "binance")


async def test_storing_again_for_a_venue_replaces_the_active_credential(
    running: RunningApp, probe: EventProbe
) -> None:
    headers = await register_and_login(running.client)
    first = (await _store(running, headers, _material("coinbase"))).json()
    other_venue = (await _store(running, headers, _material("kraken"))).json()
    second = (await _store(running, headers, _material("coinbase"))).json()
    assert second["version"] == 2 and second["status"] == "active"

    listed = {
        c["id"]: c for c in (await running.client.get("/v1/credentials", headers=headers)).json()
    }
    assert listed[first["id"]]["status"] == "revoked"
    assert listed[other_venue["id"]]["status"] == "active"
    assert listed[second["id"]]["status"] == "active"
    await running.settle()
    # Delivery is concurrent (as through a Dapr sidecar), so compare what arrived, not the order.
    kinds = [(type(e).__name__, getattr(e, "credential_id", None)) for e in probe.events]
    assert sorted(kinds) == sorted(
        [
            ("CredentialStored", first["id"]),
            ("CredentialStored", other_venue["id"]),
            ("CredentialRevoked", first["id"]),
            ("CredentialStored", second["id"]),
        ]
    )


async def test_concurrent_stores_leave_exactly_one_active_credential(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    responses = await asyncio.gather(
        *(_store(running, headers, _material("kraken")) for _ in range(6))
    )
    assert [r.status_code for r in responses] == [201] * 6
    listed = (await running.client.get("/v1/credentials", headers=headers)).json()
    assert sorted(c["version"] for c in listed) == [1, 2, 3, 4, 5, 6]
    assert [c["version"] for c in listed if c["status"] == "active"] == [6]


async def test_the_database_refuses_a_second_active_credential(running: RunningApp) -> None:
    headers = await register_and_login(running.client)
    credential = (await _store(running, headers, _material("kraken"))).json()
    async with running.runtime.db.connection() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO vault.credentials (id, user_id, venue, key_hint, ciphertext, "
                "wrapped_data_key, status, version, created_at) "
                "SELECT gen_random_uuid(), user_id, venue, key_hint, ciphertext, "
                "wrapped_data_key, 'active', version + 1, now() "
                "FROM vault.credentials WHERE id = $1",
                uuid.UUID(credential["id"]),
            )

"""Rotate, verify and revoke over real HTTP, and what each means for orders at the venue."""

from __future__ import annotations

import time
import uuid
from typing import Any

from modules.kernel.auth import Principal
from modules.vault.contracts import CredentialStored, CredentialVerificationRequested
from tests.conftest import RunningApp
from tests.vault.conftest import EventProbe, User, fetch, material, store

BUY = {"symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}


def _rotation(**extra: Any) -> dict[str, Any]:
    body = material()
    return {"api_key": body["api_key"], "api_secret": body["api_secret"], **extra}


async def test_rotation_makes_a_new_version_and_keeps_the_last_ten_sealed(
    running: RunningApp, probe: EventProbe
) -> None:
    alice = User(running)
    stored = await store(running, alice, material("kraken", label="main", environment="sandbox"))
    path = f"/v1/credentials/{stored['id']}"
    assert (stored["environment"], stored["rotated_at"]) == ("sandbox", None)

    rotations = [_rotation() for _ in range(11)]
    for body in rotations:
        response = await running.client.put(path, json=body, headers=alice.headers)
        assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["id"] == stored["id"] and rotated["version"] == 12
    assert rotated["key_hint"] == rotations[-1]["api_key"][-4:]
    assert rotated["rotated_at"] is not None and rotated["label"] == "main"
    assert rotated["status"] == "active" and rotated["environment"] == "sandbox"
    assert (await running.client.get(path, headers=alice.headers)).json() == rotated

    versions = await fetch(
        running,
        "SELECT version, ciphertext IS NOT NULL AS sealed, destroyed_at IS NOT NULL AS destroyed "
        "FROM vault.credential_versions WHERE credential_id = $1 ORDER BY version",
        uuid.UUID(stored["id"]),
    )
    assert [(v["version"], v["sealed"], v["destroyed"]) for v in versions] == [
        (n, n > 2, n <= 2) for n in range(1, 13)
    ]
    await running.settle()
    # Execution and routing learn each version under the same id, so they swap their copy.
    stored_events = [e for e in probe.events if isinstance(e, CredentialStored)]
    assert sorted(e.version for e in stored_events) == list(range(1, 13))
    assert {(e.credential_id, e.environment) for e in stored_events} == {(stored["id"], "sandbox")}


async def test_rotating_bad_input_or_a_revoked_credential_is_a_problem(
    running: RunningApp,
) -> None:
    alice = User(running)
    stored = await store(running, alice, material())
    path = f"/v1/credentials/{stored['id']}"
    bad = await running.client.put(path, json={"api_key": "short"}, headers=alice.headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")
    blank = await running.client.put(
        path, json=_rotation(api_secret=" " * 12), headers=alice.headers
    )
    assert blank.status_code == 422 and blank.json()["code"] == "invalid_credential"
    assert (await running.client.delete(path, headers=alice.headers)).status_code == 204
    late = await running.client.put(path, json=_rotation(), headers=alice.headers)
    assert late.status_code == 409 and late.json()["code"] == "credential_revoked"
    verify = await running.client.post(f"{path}/verify", headers=alice.headers)
    assert verify.status_code == 409 and verify.json()["code"] == "credential_revoked"


async def test_a_user_cannot_touch_another_users_credentials(running: RunningApp) -> None:
    alice, bob = User(running), User(running)
    stored = await store(running, alice, material("binance"))
    path = f"/v1/credentials/{stored['id']}"
    attempts = [
        await running.client.get(path, headers=bob.headers),
        await running.client.put(path, json=_rotation(), headers=bob.headers),
        await running.client.post(f"{path}/verify", headers=bob.headers),
        await running.client.delete(path, headers=bob.headers),
    ]
    assert [(r.status_code, r.json()["code"]) for r in attempts] == [
        (404, "credential_not_found")
    ] * 4
    assert (await running.client.get("/v1/credentials", headers=bob.headers)).json() == []
    # A body naming another user is ignored: the token decides whose credential it is.
    own = await store(running, bob, material("binance", user_id=alice.user_id))
    owners = await fetch(
        running, "SELECT user_id FROM vault.credentials WHERE id = $1", uuid.UUID(own["id"])
    )
    assert owners[0]["user_id"] == bob.user_id
    after = (await running.client.get(path, headers=alice.headers)).json()
    assert (after["status"], after["version"]) == ("active", 1)


async def test_store_and_rotate_demand_a_recent_second_factor(running: RunningApp) -> None:
    now = int(time.time())
    stale = User(running, second_factor=True, second_factor_at=now - 3600)
    refused = await running.client.post("/v1/credentials", json=material(), headers=stale.headers)
    assert refused.status_code == 403 and refused.json()["code"] == "step_up_required"
    fresh = User(running, second_factor=True, second_factor_at=now)
    stored = await store(running, fresh, material())
    # The same user an hour after their last proof.
    later = Principal(fresh.user_id, "trader", second_factor=True, second_factor_at=now - 3600)
    headers = {"Authorization": f"Bearer {running.runtime.tokens.issue(later)}"}
    path = f"/v1/credentials/{stored['id']}"
    rotate = await running.client.put(path, json=_rotation(), headers=headers)
    assert rotate.status_code == 403 and rotate.json()["code"] == "step_up_required"
    # Revoking stays possible without a fresh proof: a leaked key must be killable at once.
    assert (await running.client.delete(path, headers=headers)).status_code == 204


async def _verify(running: RunningApp, user: User, prefix: str) -> tuple[dict[str, Any], str]:
    stored = await store(running, user, material("kraken", prefix=prefix))
    path = f"/v1/credentials/{stored['id']}"
    response = await running.client.post(f"{path}/verify", headers=user.headers)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["credential_id"] == stored["id"] and accepted["verification"] == "pending"
    pending = (await running.client.get(path, headers=user.headers)).json()
    assert pending["verification"] in ("pending", "verified", "refused")
    await running.settle()
    return (await running.client.get(path, headers=user.headers)).json(), accepted["request_id"]


async def test_verification_asks_the_venue_and_refuses_withdrawal_keys(
    running: RunningApp, probe: EventProbe
) -> None:
    alice = User(running)
    trading, request_id = await _verify(running, alice, "")
    assert (trading["verification"], trading["status"]) == ("verified", "active")
    assert trading["permissions"] == ["read", "trade"] and trading["verified_at"]
    read_only, _ = await _verify(running, alice, "ro-")
    assert read_only["verification"] == "verified" and read_only["permissions"] == ["read"]

    withdraw, _ = await _verify(running, alice, "wd-")
    assert (withdraw["verification"], withdraw["status"]) == ("refused", "revoked")
    assert withdraw["permissions"] == ["read", "trade", "withdraw"]
    assert "withdraw" in withdraw["refusal_reason"]
    failing, _ = await _verify(running, alice, "bad-")
    assert (failing["verification"], failing["status"]) == ("refused", "revoked")
    assert failing["permissions"] == [] and failing["refusal_reason"]

    wiped = await fetch(
        running,
        "SELECT count(*) AS n FROM vault.credentials WHERE id = ANY($1::uuid[]) "
        "AND ciphertext IS NULL",
        [uuid.UUID(withdraw["id"]), uuid.UUID(failing["id"])],
    )
    assert wiped[0]["n"] == 2
    requests = [e for e in probe.events if isinstance(e, CredentialVerificationRequested)]
    assert request_id in {e.request_id for e in requests}
    assert {(e.user_id, e.venue) for e in requests} == {(alice.user_id, "kraken")}


async def _order(running: RunningApp, user: User) -> Any:
    return await running.client.post("/v1/orders", json=BUY, headers=user.headers)


async def _order_status(running: RunningApp, user: User, order_id: str) -> str:
    response = await running.client.get(f"/v1/orders/{order_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def test_a_revoked_credential_cannot_be_used_for_an_order(running: RunningApp) -> None:
    alice = User(running)
    stored = await store(running, alice, material("coinbase"))
    await running.settle()
    path = f"/v1/credentials/{stored['id']}"
    assert (await running.client.delete(path, headers=alice.headers)).status_code == 204
    await running.settle()
    refused = await _order(running, alice)
    assert refused.status_code == 422 and refused.json()["code"] == "no_credentials"


async def test_rotation_keeps_in_flight_orders_working(running: RunningApp) -> None:
    alice = User(running)
    stored = await store(running, alice, material("coinbase"))
    for _ in range(20):  # routing needs a credential and a book before it accepts an order
        await running.settle()
        placed = await _order(running, alice)
        if placed.status_code == 202:
            break
    assert placed.status_code == 202, placed.text
    # The order is on its way to execution while the key is rotated under it.
    rotate = await running.client.put(
        f"/v1/credentials/{stored['id']}", json=_rotation(), headers=alice.headers
    )
    assert rotate.status_code == 200
    after = await _order(running, alice)
    assert after.status_code == 202, after.text
    await running.settle()
    for order in (placed.json(), after.json()):
        assert await _order_status(running, alice, order["id"]) in (
            "accepted",
            "partially_filled",
            "filled",
        )

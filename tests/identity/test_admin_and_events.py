"""Admins (created through the plugin, as `nija users create-admin` does) and the
`UserRegistered` event leaving through the outbox."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from modules.identity.contracts import UserProfileChanged, UserRegistered
from modules.kernel.events import CloudEvent, decode_event
from modules.kernel.ports import Delivery
from modules.kernel.refusal import Refused
from tests.conftest import RunningApp, register_and_login
from tests.identity.conftest import enrol_totp, step_up

PASSWORD = "admin password that is long"


def _identity(running: RunningApp) -> Any:
    return running.app.state.platform.modules["identity"]


async def _admin_headers(running: RunningApp, email: str) -> dict[str, str]:
    """Signed in, then TOTP enrolled and proved: what the admin API demands of an admin."""
    response = await running.client.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return await step_up(running, headers, await enrol_totp(running, headers))


async def test_create_admin_then_list_users_with_paging(running: RunningApp) -> None:
    trader_emails = [f"t{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(3)]
    for email in trader_emails:
        await register_and_login(running.client, email)
    admin_id = await _identity(running).create_admin("Root@Example.com", PASSWORD)
    headers = await _admin_headers(running, "root@example.com")

    page = await running.client.get("/v1/admin/users", headers=headers)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 4 and body["limit"] == 50 and body["offset"] == 0
    by_email = {item["email"]: item for item in body["items"]}
    assert by_email["root@example.com"] == {
        **by_email["root@example.com"],
        "id": admin_id,
        "role": "admin",
    }
    assert all(by_email[email]["role"] == "trader" for email in trader_emails)
    assert all("password" not in key for item in body["items"] for key in item)

    second = (await running.client.get("/v1/admin/users?limit=2&offset=2", headers=headers)).json()
    first = (await running.client.get("/v1/admin/users?limit=2", headers=headers)).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})

    for query in ("limit=0", "limit=201", "offset=-1", "limit=abc"):
        response = await running.client.get(f"/v1/admin/users?{query}", headers=headers)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["code"] == "invalid_request"


async def test_traders_and_anonymous_callers_cannot_list_users(running: RunningApp) -> None:
    trader = await register_and_login(running.client)
    response = await running.client.get("/v1/admin/users", headers=trader)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "admin_required"
    response = await running.client.get("/v1/admin/users")
    assert response.status_code == 401 and response.json()["code"] == "missing_token"


async def test_create_admin_promotes_an_existing_trader_keeping_the_password(
    running: RunningApp,
) -> None:
    email = f"promote-{uuid.uuid4().hex[:6]}@example.com"
    register = await running.client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    user_id = register.json()["id"]
    assert await _identity(running).create_admin(email.upper(), "a different password") == user_id
    headers = await _admin_headers(running, email)  # the original password still works
    me = await running.client.get("/v1/auth/me", headers=headers)
    assert me.json()["role"] == "admin"
    assert (await running.client.get("/v1/admin/users", headers=headers)).status_code == 200


async def test_create_admin_refuses_bad_input(running: RunningApp) -> None:
    identity = _identity(running)
    for email, password, code in (
        ("nobody", PASSWORD, "invalid_email"),
        ("ok@example.com", "short", "weak_password"),
    ):
        try:
            await identity.create_admin(email, password)
        except Refused as refusal:
            assert refusal.code == code
        else:
            raise AssertionError(f"create_admin accepted {email!r}")


async def test_user_registered_is_written_to_the_outbox_and_published(running: RunningApp) -> None:
    received: list[UserRegistered] = []

    async def handler(envelope: CloudEvent) -> Delivery:
        assert envelope.data is not None
        event = decode_event(envelope.type, envelope.data)
        assert isinstance(event, UserRegistered)
        received.append(event)
        return Delivery.SUCCESS

    running.runtime.pubsub.subscribe(UserRegistered.TOPIC, "tests.identity-probe", handler)
    email = f"event-{uuid.uuid4().hex[:6]}@example.com"
    response = await running.client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD}
    )
    user_id = response.json()["id"]
    await running.settle()

    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT topic, envelope, published_at FROM identity.outbox WHERE topic = $1",
            UserRegistered.TOPIC,
        )
    assert len(rows) == 1
    assert rows[0]["topic"] == UserRegistered.TOPIC and rows[0]["published_at"] is not None
    envelope = msgspec.json.decode(rows[0]["envelope"], type=CloudEvent)
    assert envelope.source == "nija/identity"
    assert email.encode() not in rows[0]["envelope"]  # no PII on the bus
    assert [(e.user_id, e.role, e.tier) for e in received] == [(user_id, "trader", "basic")]
    assert received[0].event_id == envelope.id


async def test_a_duplicate_registration_publishes_nothing(running: RunningApp) -> None:
    email = f"dup-{uuid.uuid4().hex[:6]}@example.com"
    for expected in (201, 409):
        response = await running.client.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
        assert response.status_code == expected
    async with running.runtime.db.connection() as conn:
        topics = await conn.fetch("SELECT topic FROM identity.outbox ORDER BY id")
    # The first registration's two events, nothing for the second.
    assert [row["topic"] for row in topics] == [UserRegistered.TOPIC, UserProfileChanged.TOPIC]

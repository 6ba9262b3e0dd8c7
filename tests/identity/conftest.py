"""Identity test helpers: log capture, HTTP steps, published events and a controllable clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from modules.kernel.events import CloudEvent, IntegrationEvent, decode_event
from tests.conftest import RunningApp

# ---- HTTP helpers shared by the identity tests ---------------------------------------------

PASSWORD = "correct horse battery staple"


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    return body


async def register(running: RunningApp, email: str | None = None, password: str = PASSWORD) -> str:
    """Register a trader; returns the user id."""
    response = await running.client.post(
        "/v1/auth/register", json={"email": email or new_email(), "password": password}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def login(running: RunningApp, email: str, password: str = PASSWORD) -> Any:
    return await running.client.post("/v1/auth/login", json={"email": email, "password": password})


async def tokens_for(running: RunningApp, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await login(running, email, password)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(running: RunningApp, token: str) -> Any:
    return await running.client.post("/v1/auth/refresh", json={"refresh_token": token})


async def make_admin(running: RunningApp) -> dict[str, str]:
    email = new_email("admin")
    identity = running.app.state.platform.modules["identity"]
    await identity.create_admin(email, PASSWORD)
    return bearer((await tokens_for(running, email))["access_token"])


async def published(running: RunningApp, event_type: type[IntegrationEvent]) -> list[Any]:
    """Events of `event_type` that left identity's outbox (published), oldest first."""
    await running.settle()
    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch(
            "SELECT envelope FROM identity.outbox WHERE topic = $1 AND published_at IS NOT NULL "
            "ORDER BY id",
            event_type.TOPIC,
        )
    events = []
    for row in rows:
        envelope = msgspec.json.decode(row["envelope"], type=CloudEvent)
        assert envelope.data is not None
        events.append(decode_event(envelope.type, envelope.data))
    return events


class FakeClock:
    """A controllable `runtime.clock`: starts at real time, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(running: RunningApp) -> Iterator[FakeClock]:
    fake = FakeClock()
    previous = running.runtime.clock
    running.runtime.clock = fake
    try:
        yield fake
    finally:
        running.runtime.clock = previous

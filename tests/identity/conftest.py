"""Identity test helpers: log capture, HTTP steps, published events and a controllable clock."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pyotp
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


class Authenticator:
    """The user's phone app: a fresh, never-reused code each time (the server refuses replays)."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = 0

    async def code(self) -> str:
        while True:
            now = time.time()
            if now % 30 > 29:  # don't hand over a code a moment before the step changes
                await asyncio.sleep(1.1)
                continue
            current = int(now // 30)
            step = max(current - 1, self.last_step + 1)
            if step <= current + 1:
                self.last_step = step
                return self.totp.at(step * 30)
            await asyncio.sleep(30 - now % 30 + 0.1)


async def enrol_totp(running: RunningApp, headers: dict[str, str]) -> Authenticator:
    """Turn TOTP on for the bearer of `headers`; returns their authenticator app."""
    setup = await running.client.post("/v1/auth/2fa/totp", headers=headers)
    assert setup.status_code == 200, setup.text
    app = Authenticator(setup.json()["secret"])
    confirm = await running.client.post(
        "/v1/auth/2fa/totp/confirm", json={"code": await app.code()}, headers=headers
    )
    assert confirm.status_code == 200, confirm.text
    return app


async def step_up(
    running: RunningApp, headers: dict[str, str], app: Authenticator
) -> dict[str, str]:
    """Headers with a token stamped with a second-factor proof made just now."""
    response = await running.client.post(
        "/v1/auth/step-up", json={"code": await app.code()}, headers=headers
    )
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def make_admin(running: RunningApp) -> dict[str, str]:
    """An admin as the admin API demands one: TOTP enrolled and proved within five minutes."""
    email = new_email("admin")
    identity = running.app.state.platform.modules["identity"]
    await identity.create_admin(email, PASSWORD)
    headers = bearer((await tokens_for(running, email))["access_token"])
    return await step_up(running, headers, await enrol_totp(running, headers))


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

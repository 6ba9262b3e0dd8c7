"""Vault test helpers: log capture, event probes and a whole-database plaintext scan."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
import pytest

from modules.kernel.auth import Principal
from modules.kernel.events import CloudEvent, IntegrationEvent, decode_event
from modules.kernel.ports import Delivery
from tests.conftest import RunningApp


class EventProbe:
    """A test subscriber on the real bus, recording decoded events in delivery order."""

    def __init__(self) -> None:
        self.events: list[IntegrationEvent] = []
        self.envelopes: list[CloudEvent] = []

    async def __call__(self, envelope: CloudEvent) -> Delivery:
        assert envelope.data is not None
        self.envelopes.append(envelope)
        self.events.append(decode_event(envelope.type, envelope.data))
        return Delivery.SUCCESS


@pytest.fixture
async def probe(running: RunningApp) -> EventProbe:
    from modules.vault.contracts import (
        CredentialRevoked,
        CredentialStored,
        CredentialVerificationRequested,
    )

    recorder = EventProbe()
    for event in (CredentialStored, CredentialRevoked, CredentialVerificationRequested):
        running.runtime.pubsub.subscribe(event.TOPIC, f"tests.vault-probe.{event.TOPIC}", recorder)
    return recorder


async def scan_database(conn: asyncpg.Connection, needles: list[str]) -> dict[str, list[str]]:
    """Where each needle occurs in any column of any row of any table of any schema.

    Text is searched as text and bytea as bytes, so an envelope stored as bytes is covered.
    """
    tables = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    found: dict[str, list[str]] = {needle: [] for needle in needles}
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        for row in await conn.fetch(f"SELECT * FROM {name}"):
            for column, value in row.items():
                blob = value if isinstance(value, bytes) else str(value).encode()
                for needle in needles:
                    if needle.encode() in blob:
                        found[needle].append(f"{name}.{column}")
    return found


class User:
    """A trader (or admin) with a minted access token: vault trusts the token, not identity."""

    def __init__(self, running: RunningApp, role: str = "trader", **claims: Any) -> None:
        self.user_id = str(uuid.uuid4())
        if role == "admin":  # the admin API demands an enrolled second factor
            claims = {"second_factor": True, "second_factor_at": int(time.time()), **claims}
        principal = Principal(user_id=self.user_id, role=role, **claims)  # type: ignore[arg-type]
        self.headers = {"Authorization": f"Bearer {running.runtime.tokens.issue(principal)}"}


def material(venue: str = "coinbase", prefix: str = "", **extra: Any) -> dict[str, Any]:
    """Fresh, unique key material; `prefix` picks the sim venue's answer (wd-, ro-, bad-)."""
    return {
        "venue": venue,
        "api_key": f"{prefix}AKIA{uuid.uuid4().hex.upper()}",
        "api_secret": f"sk-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        **extra,
    }


async def store(running: RunningApp, user: User, body: dict[str, Any]) -> dict[str, Any]:
    response = await running.client.post("/v1/credentials", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()
    return stored


async def fetch(running: RunningApp, sql: str, *args: Any) -> list[asyncpg.Record]:
    async with running.runtime.db.connection() as conn:
        return list(await conn.fetch(sql, *args))

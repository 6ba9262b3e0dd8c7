"""Helpers for the notification and push tests: the dashboard against a fake Expo, devices,
admins, and the contract events that trading and identity publish."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

import modules.dashboard.config as config
from app import create_app
from modules.execution.contracts import PositionChanged
from modules.kernel.auth import Principal
from tests.conftest import RunningApp, serve, truncate_all
from tests.dashboard.helpers import bearer
from tests.fakes.expo import FakeExpo


def fast_pushes(
    monkeypatch: pytest.MonkeyPatch, *, quiet: float = 0.2, collapse_max: float = 2.0
) -> None:
    """Push timings a test can wait for: a short quiet time and quick retries."""
    monkeypatch.setattr(config, "PUSH_QUIET_SECONDS", quiet)
    monkeypatch.setattr(config, "PUSH_COLLAPSE_MAX_SECONDS", collapse_max)
    monkeypatch.setattr(config, "PUSH_POLL_SECONDS", 0.1)
    monkeypatch.setattr(config, "PUSH_RETRY_BASE_SECONDS", 0.05)
    monkeypatch.setattr(config, "PUSH_RETRY_MAX_SECONDS", 0.2)
    monkeypatch.setattr(config, "PUSH_RECEIPT_DELAY_SECONDS", 0.0)
    monkeypatch.setattr(config, "PUSH_RECEIPT_POLL_SECONDS", 3600.0)  # tests run rounds by hand
    monkeypatch.setattr(config, "DAILY_SUMMARY_POLL_SECONDS", 3600.0)


@contextlib.asynccontextmanager
async def dashboard_with_expo(
    make_settings: Any, database_url: str, expo: FakeExpo, *, truncate: bool = True, **extra: Any
) -> AsyncIterator[RunningApp]:
    """The platform with only the dashboard, pushing to `expo`."""
    if truncate:
        await truncate_all(database_url)
    settings = make_settings(
        modules=("dashboard",),
        expo_push_url=expo.base_url,
        expo_access_token=expo.access_token,
        **extra,
    )
    async with serve(create_app(settings)) as running:
        yield running


def new_token() -> str:
    return f"ExponentPushToken[{uuid.uuid4().hex[:22]}]"


def trader(running: RunningApp) -> tuple[str, dict[str, str]]:
    user_id = str(uuid.uuid4())
    token = running.runtime.tokens.issue(Principal(user_id=user_id, role="trader"))
    return user_id, bearer(token)


def admin(
    running: RunningApp, *, proved: bool = True, second_factor: bool = True
) -> dict[str, str]:
    principal = Principal(
        user_id=str(uuid.uuid4()),
        role="admin",
        second_factor=second_factor,
        second_factor_at=int(time.time()) if proved else int(time.time()) - 3600,
    )
    return bearer(running.runtime.tokens.issue(principal))


async def register_device(
    running: RunningApp, headers: dict[str, str], token: str | None = None, **overrides: Any
) -> dict[str, Any]:
    body = {
        "expo_push_token": token or new_token(),
        "platform": "ios",
        "device_id": f"device-{uuid.uuid4().hex[:8]}",
        **overrides,
    }
    response = await running.client.post("/v1/push/devices", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    device: dict[str, Any] = response.json()
    return device


def position_changed(
    user_id: str,
    *,
    position_id: str | None = None,
    venue: str = "kraken",
    symbol: str = "BTC/USD",
    quantity: str = "0.5",
    average_entry: str = "65000",
    realised_pnl: str = "0",
    realised_delta: str = "0",
    version: int = 1,
    occurred_at: datetime | None = None,
) -> PositionChanged:
    values: dict[str, Any] = {
        "position_id": position_id or uuid.uuid4().hex,
        "user_id": user_id,
        "venue": venue,
        "symbol": symbol,
        "quantity": Decimal(quantity),
        "average_entry": Decimal(average_entry),
        "realised_pnl": Decimal(realised_pnl),
        "fees": Decimal("0"),
        "fill_id": uuid.uuid4().hex,
        "status": "open" if Decimal(quantity) != 0 else "closed",
        "realised_delta": Decimal(realised_delta),
        "version": version,
    }
    if occurred_at is not None:
        values["occurred_at"] = occurred_at
    return PositionChanged(**values)


async def outbox_rows(running: RunningApp) -> list[dict[str, Any]]:
    async with running.runtime.db.connection() as conn:
        rows = await conn.fetch("SELECT * FROM dashboard.push_outbox ORDER BY id")
    return [dict(row) for row in rows]


def push_module(running: RunningApp) -> Any:
    return running.app.state.platform.modules["dashboard"]

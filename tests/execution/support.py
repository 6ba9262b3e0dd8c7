"""Helpers for execution tests: admin calls, routed orders, and reading the queue table."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from modules.kernel.sealing import CredentialMaterial, new_wrapped_data_key, seal
from modules.routing.contracts import OrderRouted
from modules.vault.contracts import CredentialStored
from tests.conftest import RunningApp
from tests.routing.support import Trader, admin_headers


async def set_faults(running: RunningApp, venue: str, **body: Any) -> dict[str, Any]:
    response = await running.client.post(
        f"/v1/admin/venues/{venue}/faults", json=body, headers=admin_headers(running)
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def execution(running: RunningApp) -> Any:
    """The execution plugin: its venues, use cases and workers, as wired."""
    return running.app.state.platform.modules["execution"]


def sim(running: RunningApp, venue: str) -> Any:
    return execution(running).venues[venue]


def routed(trader: Trader, venue: str, **fields: Any) -> OrderRouted:
    order_id = uuid.uuid4()
    values: dict[str, Any] = {
        "order_id": str(order_id),
        "user_id": trader.user_id,
        "client_order_id": f"nija-{order_id.hex}",
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("0.001"),
        "venue": venue,
        "credential_id": trader.credentials[venue],
        "expected_price": Decimal("65000"),
        "expected_fee": Decimal("0.1"),
        "priority": 3,
        "signal": "entry",
    }
    values.update(fields)
    return OrderRouted(**values)


def credential_with_key(
    running: RunningApp, user_id: str, venue: str, api_key: str
) -> tuple[CredentialStored, CredentialMaterial]:
    keyring = running.runtime.keyring
    material = CredentialMaterial(api_key=api_key, api_secret="sim-secret-" + "q" * 24)
    wrapped = new_wrapped_data_key(keyring, user_id)
    stored = CredentialStored(
        credential_id=str(uuid.uuid4()),
        user_id=user_id,
        venue=venue,
        key_hint=api_key[-4:],
        version=1,
        sealed=seal(keyring, wrapped, user_id, venue, material),
    )
    return stored, material


async def rows(running: RunningApp, sql: str, *args: Any) -> list[Any]:
    async with running.runtime.db.connection() as conn:
        return list(await conn.fetch(sql, *args))


async def statuses(running: RunningApp, order_ids: list[str]) -> dict[str, str]:
    found = await rows(
        running,
        "SELECT order_id, status FROM execution.orders WHERE order_id = ANY($1)",
        order_ids,
    )
    return {r["order_id"]: r["status"] for r in found}

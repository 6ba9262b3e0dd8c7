"""Shared helpers for dashboard tests: tokens, authenticated sockets, contract events."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from modules.execution.contracts import OrderAccepted, OrderFilled
from modules.kernel.auth import Principal
from modules.kernel.events import IntegrationEvent, envelope_for
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp


def new_user(running: RunningApp) -> tuple[str, str]:
    """(user_id, access token) of a trader minted by the app's own token codec."""
    user_id = str(uuid.uuid4())
    return user_id, running.runtime.tokens.issue(Principal(user_id=user_id, role="trader"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def open_socket(target: RunningApp | str, token: str) -> ClientConnection:
    """A socket (to an app, or to a WebSocket URL) that has completed the auth handshake."""
    ws = await connect(target if isinstance(target, str) else target.ws_url, open_timeout=5)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert reply["type"] == "auth.ok", reply
    return ws


async def next_message(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def messages_until_quiet(ws: ClientConnection) -> list[dict[str, Any]]:
    """Everything the socket has received so far.

    A ping's pong is sent after every push queued before it, so the pong marks the end.
    """
    await ws.send(json.dumps({"type": "ping"}))
    received: list[dict[str, Any]] = []
    while True:
        message = await next_message(ws)
        if message["type"] == "pong":
            return received
        received.append(message)


async def publish(running: RunningApp, *events: IntegrationEvent) -> None:
    for event in events:
        await running.runtime.pubsub.publish(envelope_for(event, "test"))
    await running.settle()


def routed(user_id: str, order_id: str | None = None, **overrides: Any) -> OrderRouted:
    values: dict[str, Any] = {
        "order_id": order_id or str(uuid.uuid4()),
        "user_id": user_id,
        "client_order_id": f"nija-{uuid.uuid4().hex[:12]}",
        "symbol": "BTC-USD",
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("0.5"),
        "venue": "kraken",
        "credential_id": str(uuid.uuid4()),
        "expected_price": Decimal("65000"),
        "expected_fee": Decimal("84.5"),
    }
    values.update(overrides)
    return OrderRouted(**values)


def accepted(order: OrderRouted) -> OrderAccepted:
    return OrderAccepted(
        order_id=order.order_id,
        user_id=order.user_id,
        venue=order.venue,
        client_order_id=order.client_order_id,
        venue_order_id=f"K-{uuid.uuid4().hex[:10]}",
    )


def filled(
    order: OrderRouted,
    *,
    quantity: str,
    price: str,
    cumulative: str,
    average: str,
    fee: str = "0.5",
    fill_id: str | None = None,
) -> OrderFilled:
    remaining = order.quantity - Decimal(cumulative)
    return OrderFilled(
        order_id=order.order_id,
        user_id=order.user_id,
        venue=order.venue,
        fill_id=fill_id or uuid.uuid4().hex,
        symbol=order.symbol,
        side=order.side,
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        fee_currency="USD",
        liquidity="taker",
        filled_quantity=Decimal(cumulative),
        remaining_quantity=remaining,
        average_price=Decimal(average),
        status="filled" if remaining == 0 else "partially_filled",
    )

"""Placing routed orders: exactly once, with the user's own live credential, secrets kept secret."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from app import create_app
from modules.execution.contracts import (
    CredentialUnsealed,
    OrderAccepted,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from modules.execution.domain.venue import OrderRequest
from modules.kernel.events import envelope_for
from modules.kernel.sealing import CredentialMaterial
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp, serve, truncate_all
from tests.routing.support import (
    TEST_API_SECRET,
    Tap,
    Trader,
    announce,
    connect,
    new_trader,
    revoke,
    sealed_credential,
)

TOPICS = (OrderAccepted, OrderFilled, OrderExpired, OrderRejected, CredentialUnsealed)


def tap(running: RunningApp) -> Tap:
    return Tap().attach(running, *(t.TOPIC for t in TOPICS))


def routed(trader: Trader, venue: str, **fields: Any) -> OrderRouted:
    order_id = uuid.uuid4()
    values: dict[str, Any] = {
        "order_id": str(order_id),
        "user_id": trader.user_id,
        "client_order_id": f"nija-{order_id.hex}",
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "market",
        "quantity": Decimal("0.9"),
        "venue": venue,
        "credential_id": trader.credentials.get(venue, str(uuid.uuid4())),
        "expected_price": Decimal("65000"),
        "expected_fee": Decimal("1"),
    }
    values.update(fields)
    return OrderRouted(**values)


async def scalar(running: RunningApp, sql: str, *args: Any) -> Any:
    async with running.runtime.db.connection() as conn:
        return await conn.fetchval(sql, *args)


async def test_fills_are_reported_with_running_totals(running: RunningApp) -> None:
    trader = new_trader(running)
    await connect(running, trader, ("coinbase",))
    events = tap(running)
    order = routed(trader, "coinbase")
    await announce(running, order)

    (accepted,) = events.of(OrderAccepted, order_id=order.order_id)
    assert accepted.client_order_id == order.client_order_id
    fills = events.of(OrderFilled, order_id=order.order_id)
    assert len(fills) >= 2  # 0.9 BTC takes more than coinbase's best level
    running_total = Decimal(0)
    notional = Decimal(0)
    for fill in fills:
        running_total += fill.quantity
        notional += fill.price * fill.quantity
        assert fill.filled_quantity == running_total
        assert fill.remaining_quantity == order.quantity - running_total
        assert fill.average_price == (notional / running_total).quantize(Decimal("1e-8"))
        assert fill.venue == "coinbase" and fill.user_id == trader.user_id
    assert [f.status for f in fills] == ["partially_filled"] * (len(fills) - 1) + ["filled"]
    assert not events.of(OrderExpired, order_id=order.order_id)
    (unsealed,) = events.of(CredentialUnsealed, order_id=order.order_id)
    assert unsealed.credential_id == trader.credentials["coinbase"]

    row = await scalar(
        running,
        "SELECT row(status, filled_quantity, venue_order_id) FROM execution.orders "
        "WHERE order_id = $1",
        order.order_id,
    )
    assert row[0] == "filled" and row[1] == order.quantity
    assert row[2] == accepted.venue_order_id


async def test_the_same_routed_order_delivered_twice_is_placed_once(running: RunningApp) -> None:
    trader = new_trader(running)
    await connect(running, trader, ("kraken",))
    events = tap(running)
    order = routed(trader, "kraken")
    envelope = envelope_for(order, "nija/routing")
    await running.runtime.pubsub.publish(envelope)
    await running.runtime.pubsub.publish(envelope)
    # Even re-announced under a new event id (e.g. routing's relay resent it), still once.
    await announce(running, routed(trader, "kraken", **_same_order(order)))

    assert (
        await scalar(
            running,
            "SELECT count(*) FROM execution.sim_orders WHERE client_order_id = $1",
            order.client_order_id,
        )
        == 1
    )
    venue_order_id = await scalar(
        running,
        "SELECT venue_order_id FROM execution.sim_orders WHERE client_order_id = $1",
        order.client_order_id,
    )
    trades = await scalar(
        running,
        "SELECT count(*) FROM execution.sim_trades WHERE venue_order_id = $1",
        venue_order_id,
    )
    assert len(events.of(OrderAccepted, order_id=order.order_id)) == 1
    assert len(events.of(OrderFilled, order_id=order.order_id)) == trades
    assert (
        await scalar(
            running, "SELECT count(*) FROM execution.fills WHERE order_id = $1", order.order_id
        )
        == trades
    )


async def test_an_order_the_venue_already_has_is_recorded_not_placed_again(
    running: RunningApp,
) -> None:
    """As after a crash between the venue's answer and our commit: redelivery finds it."""
    trader = new_trader(running)
    await connect(running, trader, ("binance",))
    order = routed(trader, "binance", quantity=Decimal("0.3"))
    venue = running.app.state.platform.modules["execution"].venues["binance"]
    earlier = await venue.place_order(
        OrderRequest(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            quantity=order.quantity,
        ),
        CredentialMaterial(api_key="same-account", api_secret="same-account-secret"),
    )
    events = tap(running)
    await announce(running, order)

    (accepted,) = events.of(OrderAccepted, order_id=order.order_id)
    assert accepted.venue_order_id == earlier.venue_order_id
    reported = [f.fill_id for f in events.of(OrderFilled, order_id=order.order_id)]
    assert reported == [f.trade_id for f in earlier.fills]
    assert (
        await scalar(
            running,
            "SELECT count(*) FROM execution.sim_orders WHERE client_order_id = $1",
            order.client_order_id,
        )
        == 1
    )


@pytest.mark.parametrize("case", ["revoked", "someone_elses", "never_stored", "other_venue"])
async def test_orders_without_a_usable_credential_are_rejected(
    running: RunningApp, case: str
) -> None:
    trader = new_trader(running)
    other = new_trader(running)
    await connect(running, trader, ("kraken", "binance"))
    await connect(running, other, ("kraken",))
    if case == "revoked":
        order = routed(trader, "kraken")
        await revoke(running, trader, "kraken")
    elif case == "someone_elses":
        order = routed(trader, "kraken", credential_id=other.credentials["kraken"])
    elif case == "never_stored":
        # Old enough that it is not merely still on its way from vault.
        order = routed(
            trader,
            "kraken",
            credential_id=str(uuid.uuid4()),
            occurred_at=datetime.now(UTC) - timedelta(minutes=1),
        )
    else:
        order = routed(trader, "kraken", credential_id=trader.credentials["binance"])
    events = tap(running)
    await announce(running, order)

    (rejected,) = events.of(OrderRejected, order_id=order.order_id)
    assert rejected.code == "credential_unavailable"
    assert not events.of(OrderAccepted, order_id=order.order_id)
    assert not events.of(CredentialUnsealed, order_id=order.order_id)
    assert (
        await scalar(
            running,
            "SELECT count(*) FROM execution.sim_orders WHERE client_order_id = $1",
            order.client_order_id,
        )
        == 0
    )


async def test_an_order_that_overtakes_its_credential_waits_for_it(
    make_settings: Any, database_url: str
) -> None:
    await truncate_all(database_url)
    # A retry budget of ~2.4 s, so half of it is a comfortable grace period.
    settings = make_settings(bus_retry_base_seconds=0.2, bus_retry_max_seconds=1.0)
    async with serve(create_app(settings)) as running:
        trader = new_trader(running)
        stored = sealed_credential(running, trader.user_id, "kraken")
        trader.credentials["kraken"] = stored.credential_id
        events = tap(running)
        order = routed(trader, "kraken")
        # Publishing lasts until delivery settles, so the order's delivery runs alongside.
        delivery = asyncio.create_task(
            running.runtime.pubsub.publish(envelope_for(order, "nija/routing"))
        )
        # Long enough for the first delivery to find no credential, shorter than the grace.
        await asyncio.sleep(0.1)
        assert not events.of(OrderRejected, order_id=order.order_id)
        await announce(running, stored)
        await delivery
        await running.settle()
        assert events.of(OrderAccepted, order_id=order.order_id)
        assert not events.of(OrderRejected, order_id=order.order_id)


async def test_secrets_stay_out_of_logs_events_and_tables(
    running: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    trader = new_trader(running)
    await connect(running, trader, ("coinbase", "kraken", "binance"))
    events = tap(running)
    response = await running.client.post(
        "/v1/orders",
        json={"symbol": "ETH/USD", "side": "buy", "type": "market", "quantity": "1"},
        headers=trader.headers,
    )
    assert response.status_code == 202
    await running.settle()
    assert events.of(OrderFilled)
    assert TEST_API_SECRET not in caplog.text
    assert all(TEST_API_SECRET.encode() not in raw for raw in events.raw)
    async with running.runtime.db.connection() as conn:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('routing', 'execution') AND table_type = 'BASE TABLE'"
        )
        for schema, name in tables:
            # Outbox envelopes are bytea: read them as the UTF-8 JSON they are.
            row = "convert_from(t.envelope, 'UTF8')" if name == "outbox" else "t::text"
            dump = await conn.fetchval(
                f"SELECT coalesce(string_agg({row}, ''), '') FROM \"{schema}\".\"{name}\" t"
            )
            assert TEST_API_SECRET not in dump, (schema, name)


def _same_order(order: OrderRouted) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "quantity": order.quantity,
    }

"""The order path's shared group commit: events delivered together are folded in one
transaction behind one inbox statement, and a batch delivered again is applied once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from app import create_app
from modules.execution.contracts import OrderFilled
from modules.kernel.events import IntegrationEvent, envelope_for
from modules.kernel.statements import StatementTally
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp, serve, truncate_all
from tests.dashboard.helpers import accepted, filled, new_user, routed

ORDERS = 8
_INBOX = "INSERT INTO dashboard.inbox"


@pytest.fixture
async def counted(make_settings: Any, database_url: str) -> AsyncIterator[RunningApp]:
    await truncate_all(database_url)
    settings = make_settings(modules=("dashboard",), db_statement_stats=True)
    async with serve(create_app(settings)) as running_app:
        yield running_app


def _tally(running: RunningApp) -> StatementTally:
    tally = running.runtime.db.tally
    assert tally is not None, "statement counting is off"
    return tally


async def _deliver_together(running: RunningApp, events: list[IntegrationEvent]) -> Counter[str]:
    """Publish `events` at once (as a relay does a batch of its outbox); the texts it cost."""
    tally = _tally(running)
    tally.by_text = Counter()
    await asyncio.gather(
        *(running.runtime.pubsub.publish(envelope_for(event, "test")) for event in events)
    )
    await running.settle()
    texts, tally.by_text = tally.by_text, None
    return texts


def _inbox_statements(texts: Counter[str]) -> int:
    return sum(n for text, n in texts.items() if text.startswith(_INBOX))


def _order_events(user_id: str) -> tuple[list[OrderRouted], list[IntegrationEvent]]:
    orders = [routed(user_id) for _ in range(ORDERS)]
    events: list[IntegrationEvent] = []
    for order in orders:
        events += [accepted(order), _fill(order)]
    return orders, events


def _fill(order: OrderRouted) -> OrderFilled:
    quantity = str(order.quantity)
    return filled(order, quantity=quantity, price="65000", cumulative=quantity, average="65000")


async def _orders(running: RunningApp, user_id: str) -> list[Any]:
    conn = await asyncpg.connect(running.runtime.settings.database_url)
    try:
        return list(
            await conn.fetch(
                "SELECT order_id, status, filled_quantity, fees, revision, "
                "(SELECT count(*) FROM dashboard.fills f WHERE f.order_id = o.order_id) AS fills, "
                "(SELECT count(*) FROM dashboard.notifications n "
                " WHERE n.order_id = o.order_id) AS notices "
                "FROM dashboard.orders o WHERE user_id = $1 ORDER BY order_id",
                user_id,
            )
        )
    finally:
        await conn.close()


async def test_events_delivered_together_share_one_inbox_statement(counted: RunningApp) -> None:
    user_id, _ = new_user(counted)
    orders, execution = _order_events(user_id)

    routing_cost = await _deliver_together(counted, list(orders))
    execution_cost = await _deliver_together(counted, execution)

    # 8 routing decisions, then 16 execution events: one inbox statement (one batch) each,
    # where every subscription of every topic used to write its own.
    assert _inbox_statements(routing_cost) == 1, routing_cost
    assert _inbox_statements(execution_cost) == 1, execution_cost
    # The traders' rows are locked and their days moved once for the whole batch of fills.
    locks = [n for text, n in execution_cost.items() if "INTO dashboard.user_state" in text]
    assert locks == [1], execution_cost
    rows = await _orders(counted, user_id)
    assert len(rows) == ORDERS
    for row in rows:
        assert row["status"] == "filled"
        assert row["filled_quantity"] == Decimal("0.5")
        assert row["fees"] == Decimal("0.5")
        assert row["fills"] == 1


async def test_a_batch_delivered_again_is_applied_once(counted: RunningApp) -> None:
    user_id, _ = new_user(counted)
    orders, execution = _order_events(user_id)
    await _deliver_together(counted, [*orders, *execution])
    before = await _orders(counted, user_id)

    again = await _deliver_together(counted, [*orders, *execution])

    # Every id is already in the inbox: nothing reaches a fold, nothing is written.
    assert _inbox_statements(again) == 1, again
    assert not [text for text in again if text.startswith(("UPDATE dashboard.orders",))]
    after = await _orders(counted, user_id)
    assert after == before
    assert all(row["fills"] == 1 and row["filled_quantity"] == Decimal("0.5") for row in after)

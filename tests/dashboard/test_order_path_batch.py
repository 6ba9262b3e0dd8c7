"""The order path's shared group commit: events delivered together are folded in one
transaction behind one inbox statement (balance reports in one statement besides), and a batch
delivered again is applied once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest

from app import create_app
from modules.execution.contracts import OrderFilled
from modules.kernel.events import IntegrationEvent, envelope_for
from modules.kernel.statements import StatementTally
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp, serve, truncate_all
from tests.dashboard.helpers import accepted, filled, new_user, routed
from tests.dashboard.screens import T0, Execution, balance, minutes, routed_order

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


def _count(texts: Counter[str], fragment: str) -> int:
    return sum(n for text, n in texts.items() if fragment in text)


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
    assert _count(execution_cost, "INTO dashboard.user_state") == 1, execution_cost
    assert _count(execution_cost, "INTO dashboard.daily (") == 1, execution_cost  # the same one
    assert [t for t in execution_cost if "INTO dashboard.user_state" in t and "daily (" in t]
    # Each batch creates and locks its order rows in one statement, writes them back in one.
    for cost in (routing_cost, execution_cost):
        assert _count(cost, "INSERT INTO dashboard.orders") == 1, cost
        assert _count(cost, "UPDATE dashboard.orders") == 1, cost
    # The routed attempts are mapped to their orders by the statement that creates the rows.
    assert _count(routing_cost, "dashboard.order_attempts") == 1, routing_cost
    assert [t for t in routing_cost if "order_attempts" in t and "INTO dashboard.orders" in t]
    # The routes and what each order saves: one statement each for the batch.
    assert _count(routing_cost, "INTO dashboard.routes") == 1, routing_cost
    assert _count(routing_cost, "INTO dashboard.savings") == 1, routing_cost
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


async def test_balance_reports_together_cost_one_statement_and_the_newest_wins(
    counted: RunningApp,
) -> None:
    user_id, _ = new_user(counted)
    at = T0 + minutes(60)
    reports: list[IntegrationEvent] = [
        balance(user_id, "kraken", "500", at - minutes(5)),
        balance(user_id, "kraken", "520", at - minutes(1)),
        balance(user_id, "kraken", "480", at - minutes(3)),  # older than the one beside it
        balance(user_id, "coinbase", "100.25", at - minutes(2)),
    ]

    cost = await _deliver_together(counted, reports)
    again = await _deliver_together(counted, reports)

    assert _inbox_statements(cost) == 1, cost
    writes = [text for text in cost if "INTO dashboard.balances" in text]
    assert writes and sum(cost[text] for text in writes) == 1, cost
    assert not [text for text in again if "INTO dashboard.balances" in text], again
    conn = await asyncpg.connect(counted.runtime.settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT venue, equity_usd, revision FROM dashboard.balances WHERE user_id = $1 "
            "ORDER BY venue",
            user_id,
        )
        history = await conn.fetchval(
            "SELECT count(*) FROM dashboard.equity_reports WHERE user_id = $1", user_id
        )
    finally:
        await conn.close()
    assert [(r["venue"], r["equity_usd"], r["revision"]) for r in rows] == [
        ("coinbase", Decimal("100.25"), 1),
        ("kraken", Decimal("520"), 1),
    ]
    assert history == len(reports)  # every report is kept for the periods' equity, once


async def test_positions_moved_together_are_folded_with_one_statement_per_step_of_the_fold(
    counted: RunningApp,
) -> None:
    """Several traders' positions in one batch: their heads locked, their cycles and steps
    read and their cycles replaced in one statement each, not one per position; a position
    whose second step arrives first is still folded right, and each has its own cycle."""
    traders = [Execution(new_user(counted)[0]) for _ in range(4)]
    buys = {
        ex.user_id: (routed_order(ex.user_id, quantity="1"), routed_order(ex.user_id, quantity="2"))
        for ex in traders
    }
    await _deliver_together(counted, [order for pair in buys.values() for order in pair])
    first: list[IntegrationEvent] = []
    second: list[IntegrationEvent] = []
    for ex in traders:
        one, two = buys[ex.user_id]
        first += ex.fill(one, price="100", at=T0 + minutes(1))
        second += ex.fill(two, price="130", at=T0 + minutes(2))

    cost = await _deliver_together(counted, first)
    late = second[-1]  # the last trader's second step, delivered before the others
    await _deliver_together(counted, [late])
    await _deliver_together(counted, [event for event in second if event is not late])

    for fragment in (
        "INSERT INTO dashboard.position_heads",
        "SELECT DISTINCT ON (position_id) * FROM dashboard.positions",
        "SELECT s.position_id, t.version, t.position_quantity",
        "WITH target AS",
    ):
        assert _count(cost, fragment) == 1, (fragment, cost)
    # The round trips the alerts keep: locked with the traders' zones, then written back with
    # the days' tallies, one statement each.
    assert _count(cost, "FROM dashboard.position_cycles WHERE position_id = ANY") == 1, cost
    assert _count(cost, "INTO dashboard.position_cycles") == 1, cost
    assert _count(cost, "FROM dashboard.account_directory") == 1, cost
    assert [t for t in cost if "INTO dashboard.daily_tallies" in t and "position_cycles" in t]
    conn = await asyncpg.connect(counted.runtime.settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT user_id, status, quantity, entry_price FROM dashboard.positions "
            "WHERE user_id = ANY($1::text[]) ORDER BY user_id",
            [ex.user_id for ex in traders],
        )
    finally:
        await conn.close()
    assert sorted(row["user_id"] for row in rows) == sorted(ex.user_id for ex in traders)
    for row in rows:
        assert (row["status"], row["quantity"], row["entry_price"]) == (
            "open",
            Decimal("3"),
            Decimal("120"),
        )


async def test_fills_delivered_together_are_recorded_in_one_statement_with_running_totals(
    counted: RunningApp,
) -> None:
    """Two fills of one order and one of another, together: one statement records them (and
    one their notices), each
    order's totals take every fill once (a fill delivered again under another event adds
    nothing), and the order's average price is its notional over its quantity."""
    user_id, _ = new_user(counted)
    first, second = routed(user_id), routed(user_id)
    await _deliver_together(counted, [first, second])
    halves = [
        filled(first, quantity="0.2", price="100", cumulative="0.2", average="100"),
        filled(first, quantity="0.3", price="110", cumulative="0.5", average="106"),
        filled(second, quantity="0.5", price="90", cumulative="0.5", average="90", fee="1"),
    ]

    cost = await _deliver_together(counted, halves)
    again = msgspec.structs.replace(halves[0], event_id=str(uuid.uuid4()))
    await _deliver_together(counted, [again])

    assert _count(cost, "INTO dashboard.fills") == 1, cost
    # Their notices (a fill each) and the pushes that tell them: one statement for the batch.
    assert _count(cost, "INTO dashboard.notifications") == 1, cost
    rows = {row["order_id"]: row for row in await _orders(counted, user_id)}
    assert (rows[first.order_id]["filled_quantity"], rows[first.order_id]["fees"]) == (
        Decimal("0.5"),
        Decimal("1.0"),
    )
    assert rows[first.order_id]["fills"] == 2
    assert (rows[first.order_id]["notices"], rows[second.order_id]["notices"]) == (2, 1)
    assert (rows[second.order_id]["filled_quantity"], rows[second.order_id]["fees"]) == (
        Decimal("0.5"),
        Decimal("1"),
    )
    assert {row["status"] for row in rows.values()} == {"filled"}
    conn = await asyncpg.connect(counted.runtime.settings.database_url)
    try:
        average = await conn.fetchval(
            "SELECT average_price FROM dashboard.orders WHERE order_id = $1", first.order_id
        )
    finally:
        await conn.close()
    assert average == Decimal("106")  # (0.2 x 100 + 0.3 x 110) / 0.5

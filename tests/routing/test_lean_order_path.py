"""The lean order path (issue 16): the user's view in memory on each replica, and folds of
execution's reports batched per delivery.

Two routing replicas share one database, each with its own bus, so an event reaches one of them
only, as competing consumers of a real bus would have it: what one replica learns, the other
must still honour. (They share the process's connection pool, Piccolo's engine being one per
process; their views, buses and caches are their own.) The folds are driven through the same
group commit the bus uses, and counted in statements.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal as D
from typing import Any

import asyncpg
import msgspec
import pytest

from app import create_app
from modules.execution.contracts import OrderAccepted, UserTradingPaused, UserTradingResumed
from modules.routing import RoutingModule
from modules.routing.contracts import OrderRouted
from tests.conftest import RunningApp, serve, truncate_all
from tests.group_commits import deliver_together
from tests.routing.support import (
    SYMBOL_MIDS,
    Tap,
    Trader,
    admin_headers,
    announce,
    connect,
    fill_event,
    new_trader,
    order,
    position_event,
    publish_books,
    roomy,
    trade_settings,
)

VENUES = ("coinbase", "kraken", "binance")


def _routing_app(make_settings: Any, **settings: Any) -> Any:
    return create_app(make_settings(modules=("routing",), market_tick_seconds=3600, **settings))


@contextlib.asynccontextmanager
async def _replicas(
    make_settings: Any, database_url: str, monkeypatch: Any, **env: str
) -> AsyncIterator[tuple[RunningApp, RunningApp]]:
    monkeypatch.setenv("NIJA_ROUTING_ORDER_RATE_BURST", "100")
    for name, value in env.items():
        monkeypatch.setenv(f"NIJA_ROUTING_{name.upper()}", value)
    await truncate_all(database_url)
    async with serve(_routing_app(make_settings)) as one:
        async with serve(_routing_app(make_settings)) as other:
            for running in (one, other):
                await publish_books(running, SYMBOL_MIDS)
            yield one, other


def _code(response: Any) -> str | int:
    return response.status_code if response.status_code == 202 else response.json()["code"]


async def test_what_one_replica_learns_the_other_honours(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    async with _replicas(make_settings, database_url, monkeypatch) as (one, other):
        trader = new_trader(one)
        await connect(one, trader, VENUES)  # only `one` hears of the credentials
        await roomy(one, trader)
        assert _code(await order(other, trader)) == 202  # `other` loads the view
        await announce(one, UserTradingPaused(user_id=trader.user_id, reason="too many errors"))
        assert _code(await order(other, trader)) == "trading_paused"
        assert _code(await order(one, trader)) == "trading_paused"
        await announce(one, UserTradingResumed(user_id=trader.user_id))
        # `other`'s view still says paused: a refusal is only ever given on a fresh view.
        assert _code(await order(other, trader)) == 202
        # A lower limit saved through one replica holds on the other at once.
        await trade_settings(one, trader, max_position_usd="10")
        assert _code(await order(other, trader)) == "position_size_exceeded"
        await trade_settings(other, trader, max_position_usd=None)
        assert _code(await order(one, trader)) == 202
        # The global kill switch engaged on one replica stops orders on the other.
        url, admin = "/v1/admin/kill-switch", admin_headers(one)
        halt = await one.client.post(url, json={"scope": "global", "active": True}, headers=admin)
        assert halt.status_code == 200, halt.text
        assert _code(await order(other, trader)) == "kill_switch_active"
        lift = await one.client.post(url, json={"scope": "global", "active": False}, headers=admin)
        assert lift.status_code == 200, lift.text
        assert _code(await order(other, trader)) == 202


async def test_the_days_trade_limit_holds_across_replicas(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    tiers = '{"basic": {"max_open_positions": 3, "trades_per_day": 3}}'
    async with _replicas(make_settings, database_url, monkeypatch, tiers=tiers) as (one, other):
        trader = new_trader(one)
        await connect(one, trader, VENUES)
        await roomy(one, trader)
        codes = [_code(await order(running, trader)) for running in (one, one, other, one)]
        assert codes == [202, 202, 202, "daily_trade_limit"]
        assert _code(await order(other, trader)) == "daily_trade_limit"


async def test_the_order_rate_holds_across_replicas(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """The user's order-rate bucket is spent by the statement placing the order, so replicas
    share it exactly: three orders of a burst of three, on either replica, and then none."""
    rate = {"order_rate_burst": "3", "order_rate_per_second": "0.5"}
    async with _replicas(make_settings, database_url, monkeypatch, **rate) as (one, other):
        trader, neighbour = new_trader(one), new_trader(one)
        for user in (trader, neighbour):
            await connect(one, user, VENUES)
            await roomy(one, user)
        codes = [_code(await order(running, trader)) for running in (one, other, one)]
        assert codes == [202, 202, 202]
        for running in (other, one):
            refused = await order(running, trader)
            assert _code(refused) == "order_rate_exceeded"
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 2  # a token every two seconds
        assert _code(await order(other, neighbour)) == 202  # each user has a bucket of their own
        # A refused order wrote nothing: the trader has the three orders placed, and no more.
        listed = await one.client.get("/v1/orders", headers=trader.headers)
        assert len(listed.json()["items"]) == 3


async def test_an_order_does_not_wait_for_a_fold_in_flight(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """Folds of execution's reports move the user's view version; an order reads it and moves
    a row of its own, so a fold's transaction still open does not hold the order up."""
    async with _replicas(make_settings, database_url, monkeypatch) as (one, _other):
        trader = new_trader(one)
        await connect(one, trader, VENUES)
        await roomy(one, trader)
        assert _code(await order(one, trader)) == 202
        fold = await asyncpg.connect(database_url)
        try:
            async with fold.transaction():
                held = await fold.fetchval(
                    "SELECT version FROM routing.view_versions WHERE user_id = $1 FOR UPDATE",
                    trader.user_id,
                )
                assert held is not None, "the fold's row"
                placed = await asyncio.wait_for(order(one, trader), 5)
                assert _code(placed) == 202
        finally:
            await fold.close()


async def _group_commit(running: RunningApp, subscription: str, events: list[Any]) -> Counter[str]:
    """Deliver `events` together through routing's `subscription`; the routing statements this
    cost, by text (the outbox relay's left out)."""
    return await deliver_together(
        running,
        RoutingModule,
        subscription,
        events,
        lambda text: "routing." in text and "routing.outbox" not in text,
    )


def _inbox(texts: Counter[str]) -> int:
    return sum(n for text, n in texts.items() if "INSERT INTO routing.inbox" in text)


@contextlib.asynccontextmanager
async def _placed(
    make_settings: Any, database_url: str, monkeypatch: Any, orders: int
) -> AsyncIterator[tuple[RunningApp, Trader, list[OrderRouted]]]:
    """One routing replica, statements counted, and a trader who placed `orders` orders: the
    app, the trader and the orders as routing sent them."""
    monkeypatch.setenv("NIJA_ROUTING_ORDER_RATE_BURST", "100")
    await truncate_all(database_url)
    app = _routing_app(make_settings, db_statement_stats=True)
    tap = Tap().attach(app.state.runtime.pubsub, OrderRouted.TOPIC)
    async with serve(app) as running:
        await publish_books(running, SYMBOL_MIDS)
        trader: Trader = new_trader(running)
        await connect(running, trader, VENUES)
        await roomy(running, trader)
        for _ in range(orders):
            assert _code(await order(running, trader)) == 202
        await running.settle()
        routed = tap.of(OrderRouted, user_id=trader.user_id)
        assert len(routed) == orders
        yield running, trader, routed


def _accepted(routed: OrderRouted) -> OrderAccepted:
    return OrderAccepted(
        order_id=routed.order_id,
        user_id=routed.user_id,
        venue=routed.venue,
        client_order_id=routed.client_order_id,
        venue_order_id=f"v-{routed.order_id}",
    )


async def _next_order_loads_no_view(running: RunningApp, trader: Trader) -> None:
    """The folds moved this replica's view of the trader on with them: the next order is placed
    on it, with no reload."""
    tally = running.runtime.db.tally
    assert tally is not None
    tally.by_text = Counter()
    assert _code(await order(running, trader)) == 202
    texts, tally.by_text = tally.by_text, None
    assert not [text for text in texts if "AS global_version" in text], texts


async def _fetch(database_url: str, query: str, *args: Any) -> list[Any]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


@pytest.mark.parametrize("orders", [6])
async def test_a_batch_of_folds_costs_one_transaction_and_a_statement_or_two_per_event(
    make_settings: Any, database_url: str, monkeypatch: Any, orders: int
) -> None:
    async with _placed(make_settings, database_url, monkeypatch, orders) as placed:
        running, trader, routed = placed
        accepted = [_accepted(r) for r in routed]
        price = SYMBOL_MIDS["BTC/USD"]
        filled = [fill_event(r, price) for r in routed]
        moved = [
            position_event(r, quantity=r.quantity, version=1, position_id=f"p-{r.order_id}")
            for r in routed
        ]
        # One inbox statement per batch (one transaction), then: each acceptance in one
        # statement; all the fills (single orders') with their look-ups, their orders' figures
        # and the venue's outcomes in one; and for all the batch's positions, one statement:
        # their copies, the days' P&L and the user's view version.
        for subscription, events, statements in (
            ("order-accepted", accepted, orders),
            ("order-filled", filled, 1),
            ("position-changed", moved, 1),
        ):
            texts = await _group_commit(running, subscription, events)
            assert _inbox(texts) == 1, texts
            assert sum(texts.values()) == 1 + statements, texts
        listed = (await running.client.get("/v1/orders", headers=trader.headers)).json()
        assert {o["status"] for o in listed["items"]} == {"filled"}
        await _next_order_loads_no_view(running, trader)


async def test_an_acceptance_that_comes_with_its_fill_is_recorded_by_the_fill_statement(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """A market order's acceptance and fill are published together: one statement records both
    (the venue's order id for the current attempt, and the fill) for all the batch's orders."""
    async with _placed(make_settings, database_url, monkeypatch, 3) as (running, trader, routed):
        price = SYMBOL_MIDS["BTC/USD"]
        reports: list[Any] = []
        for r in routed:
            reports += [_accepted(r), fill_event(r, price)]
        texts = await _group_commit(running, "order-accepted", reports)
        assert _inbox(texts) == 1, texts
        assert sum(texts.values()) == 2, texts
        assert not [text for text in texts if "SET venue_order_id = $2" in text], texts
        rows = await _fetch(
            database_url,
            "SELECT a.attempt_id::text AS attempt_id, o.venue_order_id, o.status "
            "FROM routing.orders o JOIN routing.route_attempts a ON a.order_id = o.id "
            "WHERE o.user_id = $1",
            trader.user_id,
        )
        assert {(row["venue_order_id"], row["status"]) for row in rows} == {
            (f"v-{row['attempt_id']}", "filled") for row in rows
        }
        assert len(rows) == len(routed)


async def test_a_batch_of_position_changes_keeps_each_copys_newest_version_and_every_delta(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """Two versions of one position, the newer first, and another position, in one batch: the
    copy holds the newer version, the day's P&L takes both deltas, and the user's view (moved
    on once) places the next order with no reload."""
    async with _placed(make_settings, database_url, monkeypatch, 2) as (running, trader, routed):
        first, second = routed
        moved = [
            position_event(
                first, quantity=D("0.3"), version=2, realised_delta=D("-4"), position_id="p-a"
            ),
            position_event(
                first, quantity=D("0.5"), version=1, realised_delta=D("10"), position_id="p-a"
            ),
            position_event(second, quantity=D("0.2"), version=1, position_id="p-b"),
        ]
        texts = await _group_commit(running, "position-changed", moved)
        assert sum(texts.values()) == 2, texts  # the inbox, then one statement for all three
        copies = await _fetch(
            database_url,
            "SELECT id, quantity, version FROM routing.positions WHERE user_id = $1 ORDER BY id",
            trader.user_id,
        )
        days = await _fetch(
            database_url,
            "SELECT sum(realised) AS realised FROM routing.daily_pnl WHERE user_id = $1",
            trader.user_id,
        )
        assert [(c["id"], c["quantity"], c["version"]) for c in copies] == [
            ("p-a", D("0.3"), 2),
            ("p-b", D("0.2"), 1),
        ]
        assert days[0]["realised"] == D("6")
        await _next_order_loads_no_view(running, trader)


async def test_fills_the_batch_statement_cannot_fold_take_the_one_by_one_path(
    make_settings: Any, database_url: str, monkeypatch: Any
) -> None:
    """Two attempts of one (re-routed) order filling in the same batch, and an attempt routing
    never made, go their own way beside the fills folded together; each fill counts once."""
    async with _placed(make_settings, database_url, monkeypatch, 2) as (running, _, routed):
        alone, rerouted = routed
        second = str(uuid.uuid4())
        await _fetch(
            database_url,
            "INSERT INTO routing.route_attempts (attempt_id, order_id, attempt, venue, "
            "client_order_id, credential_id, routed_at) "
            "SELECT $1::uuid, order_id, 2, venue, 'second-' || $1, credential_id, now() "
            "FROM routing.route_attempts WHERE attempt_id = $2::uuid",
            second,
            rerouted.order_id,
        )
        price = SYMBOL_MIDS["BTC/USD"]
        half = rerouted.quantity / 2
        stray = msgspec.structs.replace(fill_event(alone, price), order_id=str(uuid.uuid4()))
        fills = [
            fill_event(alone, price),
            msgspec.structs.replace(fill_event(rerouted, price, half), fee=D("0.1")),
            msgspec.structs.replace(
                fill_event(rerouted, price, half), order_id=second, fee=D("0.2")
            ),
            stray,
        ]
        await _group_commit(running, "order-filled", fills)
        recorded = await _fetch(
            database_url,
            "SELECT fill_id FROM routing.fills WHERE fill_id = ANY($1)",
            [fill.fill_id for fill in fills],
        )
        assert {row["fill_id"] for row in recorded} == {fill.fill_id for fill in fills[:3]}
        orders = await _fetch(
            database_url,
            "SELECT a.attempt_id::text AS attempt_id, o.filled_quantity, o.fees "
            "FROM routing.orders o "
            "JOIN routing.route_attempts a ON a.order_id = o.id "
            "WHERE a.attempt_id = ANY($1::uuid[])",
            [alone.order_id, rerouted.order_id],
        )
        assert {row["attempt_id"]: (row["filled_quantity"], row["fees"]) for row in orders} == {
            alone.order_id: (alone.quantity, 0),
            # Both attempts' fees count on the order: one statement could apply only one.
            rerouted.order_id: (half, D("0.3")),
        }

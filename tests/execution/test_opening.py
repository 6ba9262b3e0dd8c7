"""Opening an order's credential: one statement locks the order, reads its credential and its
user's pause, and writes the audit event only when the opening goes ahead."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from modules.execution.contracts import CredentialUnsealed, OrderRejected
from modules.execution.domain.orders import QueuedOrder
from modules.kernel.statements import DRIVER, schema_of
from tests.conftest import RunningApp
from tests.execution.support import execution, routed, rows
from tests.routing.support import Tap, announce, connect, new_trader


async def _filled(running: RunningApp, venue: str = "kraken") -> tuple[str, Any]:
    """An order placed and filled (its id), and its trader."""
    trader = new_trader(running)
    await connect(running, trader, (venue,))
    order = routed(trader, venue)
    await announce(running, order)
    await running.settle()
    return order.order_id, trader


async def _claimed(running: RunningApp, order_id: str) -> QueuedOrder:
    """The order put back to `placing`, as a worker holds it once claimed."""
    (row,) = await rows(
        running,
        "UPDATE execution.orders SET status = 'placing' WHERE order_id = $1 RETURNING *",
        order_id,
    )
    return QueuedOrder(
        **{name: row[name] for name in QueuedOrder.__struct_fields__ if name in row.keys()}
    )


async def _in_flight(running: RunningApp, venue: str = "kraken") -> tuple[QueuedOrder, Any]:
    """An order placed and filled, then put back to `placing`, as a worker holds it once claimed."""
    order_id, trader = await _filled(running, venue)
    return await _claimed(running, order_id), trader


async def _audit_rows(running: RunningApp, order_id: str) -> int:
    found = await rows(
        running,
        "SELECT count(*) AS n FROM execution.outbox WHERE topic = $1 "
        "AND position($2::bytea IN envelope) > 0",
        CredentialUnsealed.TOPIC,
        order_id.encode(),
    )
    return int(found[0]["n"])


def _names(args: Any, order_id: str) -> bool:
    """Whether a statement's arguments (or the envelopes among them) carry the order's id."""
    for arg in args:
        if isinstance(arg, list | tuple) and _names(arg, order_id):
            return True
        if arg == order_id or (isinstance(arg, bytes) and order_id.encode() in arg):
            return True
    return False


def _log_statements_naming(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch, order_id: str
) -> list[str]:
    """From now until `monkeypatch.undo()`, the statements sent that name the order."""
    sent: list[str] = []
    database = running.runtime.db
    connection = database.connection

    @contextlib.asynccontextmanager
    async def logged() -> AsyncIterator[Any]:
        async with connection() as conn:

            def mine(query: Any) -> None:
                if _names(query.args or (), order_id) and schema_of(query.query) != DRIVER:
                    sent.append(query.query)

            with conn.query_logger(mine):
                yield conn

    monkeypatch.setattr(database, "connection", logged)
    return sent


async def test_an_opening_costs_one_statement_and_writes_one_audit_event(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    order, _trader = await _in_flight(running)
    before = await _audit_rows(running, order.order_id)
    tap = Tap().attach(running, CredentialUnsealed.TOPIC)
    sent = _log_statements_naming(running, monkeypatch, order.order_id)
    opened = await execution(running).credentials.open_for(order, purpose="place_order")
    monkeypatch.undo()
    # No worker holds it: ended again, so the queue is idle for settle.
    await rows(
        running, "UPDATE execution.orders SET status = 'filled' WHERE order_id = $1", order.order_id
    )
    await running.settle()

    assert opened is not None
    venue, material = opened
    assert venue.name == "kraken" and material.api_key
    assert len(sent) == 1, sent
    assert await _audit_rows(running, order.order_id) == before + 1
    (unsealed,) = tap.distinct(CredentialUnsealed, order_id=order.order_id)
    assert unsealed.purpose == "place_order" and unsealed.credential_id == order.credential_id


async def test_a_paused_users_order_is_rejected_and_its_credential_not_opened(
    running: RunningApp,
) -> None:
    order, trader = await _in_flight(running)
    await rows(
        running,
        "INSERT INTO execution.user_controls (user_id, paused, reason, consecutive_errors, "
        "updated_at) VALUES ($1, true, 'test', 0, now())",
        trader.user_id,
    )
    before = await _audit_rows(running, order.order_id)
    tap = Tap().attach(running, OrderRejected.TOPIC)

    assert await execution(running).credentials.open_for(order, purpose="place_order") is None
    await running.settle()

    assert await _audit_rows(running, order.order_id) == before, "nothing was opened"
    (rejected,) = tap.distinct(OrderRejected, order_id=order.order_id)
    assert rejected.code == "user_paused"
    # A pause stops new placements, not the cancel of an order already at the venue.
    await rows(
        running, "UPDATE execution.orders SET status = 'open' WHERE order_id = $1", order.order_id
    )
    assert await execution(running).credentials.open_for(order, purpose="cancel_order")
    assert await _audit_rows(running, order.order_id) == before + 1


async def test_an_ended_order_opens_nothing(running: RunningApp) -> None:
    order, _trader = await _in_flight(running)
    await rows(
        running, "UPDATE execution.orders SET status = 'filled' WHERE order_id = $1", order.order_id
    )
    before = await _audit_rows(running, order.order_id)
    assert await execution(running).credentials.open_for(order, purpose="place_order") is None
    assert await _audit_rows(running, order.order_id) == before


async def test_a_claims_batch_is_handed_out_in_one_statement_audited_only_where_it_may_open(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = [await _filled(running) for _ in range(3)]
    usable, paused, revoked = [await _claimed(running, order_id) for order_id, _ in placed]
    paused_trader = placed[1][1]
    await rows(
        running,
        "INSERT INTO execution.user_controls (user_id, paused, reason, consecutive_errors, "
        "updated_at) VALUES ($1, true, 'test', 0, now())",
        paused_trader.user_id,
    )
    await rows(
        running,
        "UPDATE execution.credentials SET ciphertext = NULL, wrapped_data_key = NULL, "
        "revoked_at = now() WHERE credential_id = $1",
        revoked.credential_id,
    )
    batch = [usable, paused, revoked]
    before = {order.order_id: await _audit_rows(running, order.order_id) for order in batch}
    unsealed = Tap().attach(running, CredentialUnsealed.TOPIC)
    rejected = Tap().attach(running, OrderRejected.TOPIC)
    credentials = execution(running).credentials
    sent = _log_statements_naming(running, monkeypatch, usable.order_id)
    openings = await credentials.open_batch(batch, "place_order")
    monkeypatch.undo()

    assert len(sent) == 1, sent
    assert {order_id: o.audited for order_id, o in openings.items()} == {
        usable.order_id: True,
        paused.order_id: False,
        revoked.order_id: False,
    }
    after = {order.order_id: await _audit_rows(running, order.order_id) for order in batch}
    assert after == {
        usable.order_id: before[usable.order_id] + 1,
        paused.order_id: before[paused.order_id],
        revoked.order_id: before[revoked.order_id],
    }
    opened = await credentials.settle(usable, openings[usable.order_id], "place_order")
    assert opened is not None and opened[1].api_key
    for order in (paused, revoked):
        assert await credentials.settle(order, openings[order.order_id], "place_order") is None
    # No worker holds them: ended again, so the queue is idle for settle.
    await rows(
        running,
        "UPDATE execution.orders SET status = 'filled' WHERE order_id = ANY($1::text[])",
        [order.order_id for order in batch],
    )
    await running.settle()

    assert [e.order_id for e in unsealed.distinct(CredentialUnsealed)] == [usable.order_id]
    codes = {e.order_id: e.code for e in rejected.distinct(OrderRejected)}
    assert codes == {paused.order_id: "user_paused", revoked.order_id: "credential_unavailable"}

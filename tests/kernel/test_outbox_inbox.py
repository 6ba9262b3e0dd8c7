"""Outbox and inbox: nothing lost between a write and a publish, nothing applied twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import asyncpg
import msgspec
import pytest
from prometheus_client import CollectorRegistry, Counter

from modules.kernel.adapters.memory_bus import InProcessPubSub
from modules.kernel.db import Database
from modules.kernel.events import CloudEvent, IntegrationEvent, decode_envelope, envelope_for
from modules.kernel.inbox import GroupCommit, inbox_handler
from modules.kernel.outbox import SingleStatement, UnitOfWork, outbox_insert, publish_alone
from modules.kernel.outbox_relay import OutboxRelay
from modules.kernel.ports import Delivery
from tests.conftest import truncate_all

SCHEMA = "kerneltest"


class PingSent(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = "kernel.test-ping-sent.v1"
    n: int


@pytest.fixture
async def db(database_url: str, running: Any) -> AsyncIterator[Database]:
    # `running` guarantees the module schemas are migrated; our own schema copies their shape.
    conn = await asyncpg.connect(database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
    await conn.execute(
        f"CREATE TABLE {SCHEMA}.outbox (LIKE dashboard.outbox INCLUDING ALL);"
        f"CREATE TABLE {SCHEMA}.inbox (LIKE dashboard.inbox INCLUDING ALL);"
        f"CREATE TABLE {SCHEMA}.pings (n int PRIMARY KEY)"
    )
    await conn.close()
    database = running.runtime.db
    yield database
    await truncate_all(database_url)


class Sink:
    """Records what a unit of work hands its relay."""

    def __init__(self) -> None:
        self.reserved: set[int] = set()
        self.handed: list[int] = []
        self.writers = 0

    def reserve(self, ids: list[int]) -> None:
        self.reserved.update(ids)

    def release(self, ids: list[int]) -> None:
        self.reserved.difference_update(ids)

    def hand_off(self, rows: list[Any]) -> None:
        self.handed.extend(row_id for row_id, _envelope in rows)

    def writing(self) -> None:
        self.writers += 1

    def done_writing(self) -> None:
        self.writers -= 1


def _uow(db: Database, sink: Sink | None = None) -> UnitOfWork:
    return UnitOfWork(db, SCHEMA, "test", sink or Sink())


async def _outbox_rows(db: Database) -> list[Any]:
    async with db.connection() as conn:
        return await conn.fetch(f"SELECT event_id, published_at FROM {SCHEMA}.outbox ORDER BY id")


async def test_event_is_written_with_the_data_and_only_on_commit(db: Database) -> None:
    sink = Sink()
    async with _uow(db, sink) as uow:
        await uow.conn.execute(f"INSERT INTO {SCHEMA}.pings VALUES (1)")
        uow.publish(PingSent(n=1))
    with pytest.raises(RuntimeError):
        async with _uow(db, sink) as uow:
            await uow.conn.execute(f"INSERT INTO {SCHEMA}.pings VALUES (2)")
            uow.publish(PingSent(n=2))
            raise RuntimeError("business rule failed after the write")
    rows = await _outbox_rows(db)
    assert len(rows) == 1 and rows[0]["published_at"] is None
    assert len(sink.handed) == 1, "only the committed transaction hands its row to the relay"
    assert sink.reserved == set(sink.handed), "the rolled-back one's reservation was released"
    async with db.connection() as conn:
        assert await conn.fetchval(f"SELECT array_agg(n) FROM {SCHEMA}.pings") == [1]


async def test_relay_publishes_rows_left_by_a_crash_exactly_in_order(db: Database) -> None:
    async with _uow(db) as uow:
        for n in range(3):
            uow.publish(PingSent(n=n))
    # The process "died" here: rows are committed, nothing was published. A new relay starts.
    bus = InProcessPubSub(concurrency=1)
    received: list[int] = []

    async def collect(envelope: CloudEvent) -> Delivery:
        import msgspec

        received.append(msgspec.json.decode(bytes(envelope.data), type=PingSent).n)
        return Delivery.SUCCESS

    bus.subscribe(PingSent.TOPIC, "collector", collect)
    await bus.start()
    relay = OutboxRelay(db, SCHEMA, bus)
    assert await relay.relay_once() == 3
    assert await relay.relay_once() == 0, "published rows are not sent again"
    await bus.drain()
    await bus.stop()
    assert received == [0, 1, 2]
    assert all(r["published_at"] is not None for r in await _outbox_rows(db))


class FlakyBus(InProcessPubSub):
    """The in-process bus, failing its next `failures` publishes."""

    def __init__(self, failures: int) -> None:
        super().__init__(concurrency=1)
        self.failures = failures
        self.received: list[int] = []
        self.subscribe(PingSent.TOPIC, "collector", self._collect)

    async def publish(self, envelope: CloudEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("bus unreachable")
        await super().publish(envelope)

    async def _collect(self, envelope: CloudEvent) -> Delivery:
        import msgspec

        self.received.append(msgspec.json.decode(bytes(envelope.data), type=PingSent).n)
        return Delivery.SUCCESS


async def _eventually(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


async def test_committed_rows_go_out_at_once_and_are_marked_together(db: Database) -> None:
    bus = FlakyBus(failures=0)
    await bus.start()
    # The poll is an hour away: whatever goes out now was handed over by its commit.
    relay = OutboxRelay(db, SCHEMA, bus, poll_seconds=3600, mark_linger_seconds=0.2)
    relay.start()
    try:
        await asyncio.sleep(0.05)  # the relay's first poll (recovery at start) finds nothing
        for n in range(3):
            async with UnitOfWork(db, SCHEMA, "test", relay) as uow:
                uow.publish(PingSent(n=n))

        async def delivered() -> bool:
            await bus.drain()
            return bus.received == [0, 1, 2]

        await _eventually(delivered, timeout=2)

        async def marked() -> bool:
            return all(r["published_at"] is not None for r in await _outbox_rows(db))

        await _eventually(marked, timeout=2)
    finally:
        await relay.stop()
        await bus.stop()


async def test_rows_whose_hand_off_failed_are_published_by_the_poll(db: Database) -> None:
    bus = FlakyBus(failures=1)
    await bus.start()
    registry = CollectorRegistry()
    failures = Counter("relay_failures", "failed relay rounds", registry=registry)
    relay = OutboxRelay(db, SCHEMA, bus, poll_seconds=0.2, failures=failures)
    relay.start()
    try:
        await asyncio.sleep(0.05)  # past the first poll: the failure meets the hand-off
        async with UnitOfWork(db, SCHEMA, "test", relay) as uow:
            uow.publish(PingSent(n=7))

        async def delivered_and_marked() -> bool:
            # Marked too: stopping the relay between the poll's publish and its commit would
            # roll the mark back (the row would go out again at the next start, as it should).
            await bus.drain()
            rows = await _outbox_rows(db)
            return bus.received == [7] and [r["published_at"] is not None for r in rows] == [True]

        await _eventually(delivered_and_marked)
        assert bus.failures == 0
        assert registry.get_sample_value("relay_failures_total") == 1, "the failure is counted"
    finally:
        await relay.stop()
        await bus.stop()
    assert bus.received == [7], "published once"


async def test_inbox_applies_a_redelivered_event_once(db: Database) -> None:
    applied: list[int] = []

    async def handler(event: PingSent, uow: UnitOfWork) -> None:
        await uow.conn.execute(f"INSERT INTO {SCHEMA}.pings VALUES ($1)", event.n)
        applied.append(event.n)

    deliver = inbox_handler(
        schema=SCHEMA, handler_name="t.pings", handler=handler, unit_of_work=lambda: _uow(db)
    )
    envelope = envelope_for(PingSent(n=7), "test")
    results = [await deliver(envelope) for _ in range(3)]
    assert results == [Delivery.SUCCESS] * 3
    assert applied == [7]


async def test_a_failing_handler_leaves_no_inbox_mark_so_the_retry_applies(db: Database) -> None:
    attempts: list[int] = []

    async def flaky(event: PingSent, uow: UnitOfWork) -> None:
        attempts.append(event.n)
        await uow.conn.execute(f"INSERT INTO {SCHEMA}.pings VALUES ($1)", event.n)
        if len(attempts) == 1:
            raise ConnectionError("venue hiccup")

    deliver = inbox_handler(
        schema=SCHEMA, handler_name="t.flaky", handler=flaky, unit_of_work=lambda: _uow(db)
    )
    envelope = envelope_for(PingSent(n=9), "test")
    with pytest.raises(ConnectionError):
        await deliver(envelope)
    assert await deliver(envelope) is Delivery.SUCCESS
    async with db.connection() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.pings") == 1


async def test_undecodable_event_is_dropped_not_retried(db: Database) -> None:
    async def never(event: Any, uow: UnitOfWork) -> None:  # pragma: no cover - must not run
        raise AssertionError

    deliver = inbox_handler(
        schema=SCHEMA, handler_name="t.never", handler=never, unit_of_work=lambda: _uow(db)
    )
    bogus = CloudEvent(id="x", source="t", type="nobody.declared-this.v1")
    assert await deliver(bogus) is Delivery.DROP
    await asyncio.sleep(0)


async def test_group_commit_batches_concurrent_deliveries_and_applies_each_once(
    db: Database,
) -> None:
    batches: list[list[int]] = []

    async def handler(events: list[PingSent], uow: UnitOfWork) -> None:
        await uow.conn.executemany(
            f"INSERT INTO {SCHEMA}.pings VALUES ($1)", [(e.n,) for e in events]
        )
        batches.append([e.n for e in events])

    group = GroupCommit(
        schema=SCHEMA, handler_name="t.batched", handler=handler, unit_of_work=lambda: _uow(db)
    )
    envelopes = [envelope_for(PingSent(n=n), "test") for n in range(50)]
    # Every event twice, concurrently, as an at-least-once bus may do.
    results = await asyncio.gather(*(group.deliver(e) for e in envelopes + envelopes))
    assert results == [Delivery.SUCCESS] * 100
    assert sorted(n for batch in batches for n in batch) == list(range(50))
    assert len(batches) < 50, "deliveries that arrive together share a transaction"
    assert await group.deliver(envelopes[0]) == Delivery.SUCCESS
    assert sum(len(batch) for batch in batches) == 50, "a later redelivery is a no-op"


async def test_group_commit_isolates_a_failing_event_from_its_batch(db: Database) -> None:
    async def handler(events: list[PingSent], uow: UnitOfWork) -> None:
        if any(e.n == 13 for e in events):
            raise ValueError("unlucky event")
        await uow.conn.executemany(
            f"INSERT INTO {SCHEMA}.pings VALUES ($1)", [(e.n,) for e in events]
        )

    group = GroupCommit(
        schema=SCHEMA, handler_name="t.poison", handler=handler, unit_of_work=lambda: _uow(db)
    )
    outcomes = await asyncio.gather(
        *(group.deliver(envelope_for(PingSent(n=n), "test")) for n in range(10, 16)),
        return_exceptions=True,
    )
    assert [type(o).__name__ for o in outcomes] == [
        "Delivery",
        "Delivery",
        "Delivery",
        "ValueError",
        "Delivery",
        "Delivery",
    ]
    async with db.connection() as conn:
        applied = await conn.fetchval(f"SELECT array_agg(n ORDER BY n) FROM {SCHEMA}.pings")
        marked = await conn.fetchval(
            f"SELECT count(*) FROM {SCHEMA}.inbox WHERE handler = 't.poison'"
        )
    assert applied == [10, 11, 12, 14, 15]
    assert marked == 5, "the failed event is not marked, so the bus's retry applies it later"


async def test_events_a_subscription_is_not_concerned_with_cost_no_transaction(
    db: Database,
) -> None:
    applied: list[int] = []

    async def one(event: PingSent, uow: UnitOfWork) -> None:
        applied.append(event.n)

    async def many(events: list[PingSent], uow: UnitOfWork) -> None:
        applied.extend(e.n for e in events)

    def even(event: PingSent) -> bool:
        return event.n % 2 == 0

    deliver = inbox_handler(
        schema=SCHEMA,
        handler_name="t.even",
        handler=one,
        unit_of_work=lambda: _uow(db),
        concerns=even,
    )
    group = GroupCommit(
        schema=SCHEMA,
        handler_name="t.even-batched",
        handler=many,
        unit_of_work=lambda: _uow(db),
        concerns=even,
    )
    envelopes = [envelope_for(PingSent(n=n), "test") for n in range(6)]
    assert [await deliver(e) for e in envelopes] == [Delivery.SUCCESS] * 6
    assert await asyncio.gather(*(group.deliver(e) for e in envelopes)) == [Delivery.SUCCESS] * 6
    assert applied == [0, 2, 4, 0, 2, 4]
    async with db.connection() as conn:
        marked = await conn.fetch(
            f"SELECT handler, count(*) FROM {SCHEMA}.inbox GROUP BY handler ORDER BY handler"
        )
    # Only the events applied are marked: the others left no row and took no transaction.
    assert [tuple(row) for row in marked] == [("t.even", 3), ("t.even-batched", 3)]


def test_subscriptions_of_one_group_share_one_batch_under_the_groups_name() -> None:
    from modules.kernel.module import NijaModule, Subscription

    class Module(NijaModule):
        name = "routing"

    async def fold(events: list[Any], uow: UnitOfWork) -> None:  # pragma: no cover - not run
        return None

    async def other(events: list[Any], uow: UnitOfWork) -> None:  # pragma: no cover - not run
        return None

    module = Module(runtime=None)  # type: ignore[arg-type]
    groups: dict[str, Any] = {}
    first = module._group_commit(
        Subscription(PingSent, fold, "a", batched=True, group="path"), "routing.a", groups
    )
    second = module._group_commit(
        Subscription(PingSent, fold, "b", batched=True, group="path"), "routing.b", groups
    )
    alone = module._group_commit(Subscription(PingSent, fold, "c", batched=True), "routing.c", {})
    assert first is second and first is not alone
    assert first._name == "routing.path" and alone._name == "routing.c"
    with pytest.raises(ValueError, match="another handler"):
        module._group_commit(
            Subscription(PingSent, other, "d", batched=True, group="path"), "routing.d", groups
        )


async def test_every_modules_outbox_polls_only_its_unpublished_rows(running: Any) -> None:
    # The relay's recovery poll runs every few seconds for ever: without this index it reads
    # every row the module ever published, a cost that grows with the history.
    async with running.runtime.db.connection() as conn:
        schemas = await conn.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' "
            "AND table_schema <> $1 ORDER BY 1",
            SCHEMA,
        )
        indexed = await conn.fetch(
            "SELECT schemaname FROM pg_indexes WHERE tablename = 'outbox' AND schemaname <> $1 "
            "AND indexdef LIKE '%(id) WHERE (published_at IS NULL)' ORDER BY 1",
            SCHEMA,
        )
    with_outbox = [row[0] for row in schemas]
    assert len(with_outbox) >= 6, with_outbox
    assert [row[0] for row in indexed] == with_outbox


async def test_events_published_alone_are_written_in_order_and_handed_to_the_relay(
    db: Database,
) -> None:
    sink = Sink()
    await publish_alone(db, SCHEMA, "test", sink, [PingSent(n=n) for n in range(3)])
    async with db.connection() as conn:
        rows = await conn.fetch(f"SELECT id, envelope FROM {SCHEMA}.outbox ORDER BY id")
    assert sink.handed == [row["id"] for row in rows]
    told = [msgspec.json.decode(decode_envelope(row["envelope"]).data) for row in rows]
    assert [event["n"] for event in told] == [0, 1, 2]


async def _told(db: Database) -> list[int]:
    async with db.connection() as conn:
        rows = await conn.fetch(f"SELECT envelope FROM {SCHEMA}.outbox ORDER BY id")
    return [msgspec.json.decode(decode_envelope(row["envelope"]).data)["n"] for row in rows]


async def test_a_statement_of_the_module_carries_its_events_and_the_commit_hands_them_over(
    db: Database,
) -> None:
    sink = Sink()
    async with _uow(db, sink) as uow:
        uow.publish(PingSent(n=0))
        uow.publish(PingSent(n=1))
        insert = uow.pending_outbox()
        assert insert is not None
        rows = await uow.conn.fetch(
            f"WITH saved AS (INSERT INTO {SCHEMA}.pings VALUES ($1)), "
            f"outbox AS ({insert.sql(first=2)}) SELECT id FROM outbox",
            5,
            *insert.args,
        )
        uow.wrote_outbox(insert, [row["id"] for row in rows])
        uow.publish(PingSent(n=2))  # after the statement: written at commit, as ever
        assert sink.handed == [], "nothing goes out before the commit"
    assert await _told(db) == [0, 1, 2], "each event once, in the order published"
    async with db.connection() as conn:
        ids = [row["id"] for row in await conn.fetch(f"SELECT id FROM {SCHEMA}.outbox ORDER BY id")]
    assert sink.handed == ids


async def test_a_carried_insert_that_rolls_back_publishes_nothing(db: Database) -> None:
    sink = Sink()
    with pytest.raises(RuntimeError):
        async with _uow(db, sink) as uow:
            uow.publish(PingSent(n=0))
            insert = uow.pending_outbox()
            assert insert is not None
            rows = await uow.conn.fetch(insert.sql(), *insert.args)
            uow.wrote_outbox(insert, [row["id"] for row in rows])
            raise RuntimeError("business rule failed after the write")
    assert sink.handed == [] and sink.reserved == set()
    assert await _told(db) == []


async def test_a_guarded_insert_writes_its_events_only_when_its_condition_holds(
    db: Database,
) -> None:
    insert = outbox_insert(SCHEMA, "test", [PingSent(n=1), PingSent(n=2)])
    async with db.connection() as conn:
        for allowed in (False, True):
            rows = await conn.fetch(insert.sql(first=2, when="$1::boolean"), allowed, *insert.args)
            ids = [row["id"] for row in rows]
            assert len(insert.committed(ids)) == (2 if allowed else 0)
    assert await _told(db) == [1, 2]
    with pytest.raises(ValueError):
        insert.committed([1])  # a partial write is a bug in the statement, not a result


async def test_a_condition_may_decide_per_event_and_only_the_written_ones_go_out(
    db: Database,
) -> None:
    sink = Sink()
    async with SingleStatement(db, SCHEMA, "test", sink) as unit:
        for n in (1, 2, 3):
            unit.publish(PingSent(n=n))
        insert = unit.pending_outbox()
        assert insert is not None
        # `u.n` is each event's place among those published: the second one is refused.
        rows = await unit.conn.fetch(insert.sql(first=2, when="u.n <> $1"), 2, *insert.args)
        unit.wrote_some(insert, {row["event_id"]: row["id"] for row in rows})
    assert await _told(db) == [1, 3]
    assert sorted(sink.handed) == sorted(row["id"] for row in rows)


async def test_a_single_statement_commits_by_itself_with_its_events(db: Database) -> None:
    sink = Sink()
    sent: list[str] = []

    def logged(query: Any) -> None:
        sent.append(query.query)

    async with SingleStatement(db, SCHEMA, "test", sink) as unit:
        unit.conn.add_query_logger(logged)
        unit.publish(PingSent(n=4))
        unit.after_commit(lambda: sent.append("after commit"))
        insert = unit.pending_outbox()
        assert insert is not None
        rows = await unit.conn.fetch(
            f"WITH saved AS (INSERT INTO {SCHEMA}.pings VALUES (4)), "
            f"outbox AS ({insert.sql()}) SELECT id FROM outbox",
            *insert.args,
        )
        unit.wrote_outbox(insert, [row["id"] for row in rows])
        await asyncio.sleep(0)  # query loggers are called soon, not at once
        unit.conn.remove_query_logger(logged)
    assert [q for q in sent if q.split()[0] in ("BEGIN", "COMMIT")] == [], "no transaction"
    assert sent[-1] == "after commit"
    assert await _told(db) == [4] and len(sink.handed) == 1


async def test_a_poll_between_a_single_statements_commit_and_its_hand_off_leaves_its_rows(
    db: Database,
) -> None:
    """The statement commits by itself before its rows' ids are known, so they cannot be
    reserved first: until the unit hands them over, even tests' settle (which polls rows of any
    age) leaves rows that fresh to it, and each event goes out once."""
    bus = FlakyBus(failures=0)
    await bus.start()
    relay = OutboxRelay(db, SCHEMA, bus)
    try:
        async with SingleStatement(db, SCHEMA, "test", relay) as unit:
            unit.publish(PingSent(n=7))
            insert = unit.pending_outbox()
            assert insert is not None
            rows = await unit.conn.fetch(insert.sql(), *insert.args)
            unit.wrote_outbox(insert, [row["id"] for row in rows])
            assert await relay.relay_once() == 0, "committed, not yet handed over: left alone"
        assert await relay.relay_once() == 1
        assert await relay.relay_once() == 0
        await bus.drain()
    finally:
        await bus.stop()
    assert bus.received == [7]


async def test_a_single_statement_refuses_an_event_it_did_not_write(db: Database) -> None:
    sink = Sink()
    with pytest.raises(RuntimeError, match="published after"):
        async with SingleStatement(db, SCHEMA, "test", sink) as unit:
            await unit.conn.execute(f"INSERT INTO {SCHEMA}.pings VALUES (5)")
            unit.publish(PingSent(n=5))
    assert sink.handed == [] and await _told(db) == []

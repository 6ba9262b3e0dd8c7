"""The `PubSub` contract, run against every adapter (in-process bus, Dapr via the fake sidecar).

What modules rely on: every subscriber of a topic gets every message, JSON round-tripped; a
RETRY or an exception is redelivered to that subscriber; after the attempt budget the message
goes to the dead-letter topic with its original data; DROP is final; and, through the kernel
inbox, a redelivered event is applied once.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import msgspec
import pytest

from modules.kernel.db import Database
from modules.kernel.events import (
    DEAD_LETTER_TOPIC,
    TOPICS,
    CloudEvent,
    IntegrationEvent,
    envelope_for,
)
from modules.kernel.inbox import inbox_handler
from modules.kernel.outbox import UnitOfWork
from modules.kernel.ports import Delivery, RetryLater
from tests.contract.conftest import Bus
from tests.kernel.test_outbox_inbox import Sink

TOPIC = "contract.pinged.v1"
OTHER_TOPIC = "contract.ignored.v1"
SCHEMA = "contract_test"


class ContractPinged(IntegrationEvent, frozen=True, kw_only=True):
    TOPIC: ClassVar[str] = TOPIC
    n: int
    note: str = ""


# A test-only topic must not stay in the process-wide registry, where checks of the modules'
# published language would find it; the fixture below registers it while a test runs.
TOPICS.pop(TOPIC, None)


@pytest.fixture(autouse=True)
def contract_topic() -> Any:
    TOPICS[TOPIC] = ContractPinged
    yield
    TOPICS.pop(TOPIC, None)


def envelope(topic: str = TOPIC, n: int = 1) -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source="tests/contract",
        type=topic,
        topic=topic,
        data=msgspec.Raw(msgspec.json.encode({"n": n, "note": "é ✓"})),
    )


Handler = Callable[[CloudEvent], Awaitable[Delivery]]


def recorder(into: list[CloudEvent], verdicts: list[Any] | None = None) -> Handler:
    """A subscriber that records each delivery and answers the next scripted verdict
    (a `Delivery`, or an exception to raise); SUCCESS once the script runs out."""
    script = list(verdicts or [])

    async def handle(event: CloudEvent) -> Delivery:
        into.append(event)
        verdict = script.pop(0) if script else Delivery.SUCCESS
        if isinstance(verdict, Exception):
            raise verdict
        return Delivery(verdict)

    return handle


def data_of(event: CloudEvent) -> Any:
    assert event.data is not None
    return msgspec.json.decode(bytes(event.data))


async def test_every_subscriber_of_a_topic_gets_every_message(bus: Bus) -> None:
    got: dict[str, list[CloudEvent]] = defaultdict(list)
    for name in ("routing.a", "execution.b", "dashboard.c"):
        bus.pubsub.subscribe(TOPIC, name, recorder(got[name]))
    bus.pubsub.subscribe(OTHER_TOPIC, "dashboard.other", recorder(got["other"]))
    sent = [envelope(n=n) for n in range(3)]
    for message in sent:
        await bus.pubsub.publish(message)
    await bus.drain()

    for name in ("routing.a", "execution.b", "dashboard.c"):
        assert sorted(e.id for e in got[name]) == sorted(m.id for m in sent), name
        by_id = {e.id: e for e in got[name]}
        for message in sent:
            received = by_id[message.id]
            assert received.type == TOPIC and received.source == "tests/contract"
            assert data_of(received) == data_of(message)
    assert got["other"] == []
    assert set(bus.pubsub.topics()) == {TOPIC, OTHER_TOPIC}


@pytest.mark.parametrize(
    "failure", [Delivery.RETRY, RuntimeError("handler blew up"), RetryLater("key not here yet")]
)
async def test_failed_delivery_is_redelivered_to_the_failing_subscriber(
    bus: Bus, failure: Any
) -> None:
    flaky: list[CloudEvent] = []
    steady: list[CloudEvent] = []
    dead: list[CloudEvent] = []
    bus.pubsub.subscribe(TOPIC, "execution.flaky", recorder(flaky, [failure]))
    bus.pubsub.subscribe(TOPIC, "dashboard.steady", recorder(steady))
    bus.pubsub.subscribe(DEAD_LETTER_TOPIC, "ops.dead", recorder(dead))
    message = envelope()
    await bus.pubsub.publish(message)
    await bus.drain()

    assert [e.id for e in flaky] == [message.id, message.id]
    assert data_of(flaky[1]) == data_of(message)
    assert [e.id for e in steady] == [message.id]  # the others are not bothered again
    assert dead == []


async def test_a_retry_later_is_logged_as_a_retry_not_a_failure(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator acts on errors; a credential still on its way is not one."""
    got: list[CloudEvent] = []
    bus.pubsub.subscribe(TOPIC, "execution.waiting", recorder(got, [RetryLater("not yet")]))
    with caplog.at_level(logging.INFO):
        await bus.pubsub.publish(envelope())
        await bus.drain()
    assert len(got) == 2
    retries = [r for r in caplog.records if "retries later" in r.getMessage()]
    assert retries and all(r.levelno == logging.INFO and r.exc_info is None for r in retries)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_message_is_dead_lettered_with_its_data_after_the_attempt_budget(bus: Bus) -> None:
    hopeless: list[CloudEvent] = []
    fine: list[CloudEvent] = []
    dead: list[CloudEvent] = []
    always_retry = [Delivery.RETRY] * (bus.max_attempts + 5)
    bus.pubsub.subscribe(TOPIC, "execution.hopeless", recorder(hopeless, always_retry))
    bus.pubsub.subscribe(TOPIC, "dashboard.fine", recorder(fine))
    bus.pubsub.subscribe(DEAD_LETTER_TOPIC, "ops.dead", recorder(dead))
    message = envelope(n=42)
    await bus.pubsub.publish(message)
    await bus.drain()

    assert len(hopeless) == bus.max_attempts
    assert [e.id for e in fine] == [message.id]
    assert len(dead) == 1
    letter = dead[0]
    assert letter.id == message.id
    assert letter.type == DEAD_LETTER_TOPIC
    assert letter.originaltopic == TOPIC
    assert data_of(letter) == {"n": 42, "note": "é ✓"}


async def test_dropped_message_is_neither_redelivered_nor_dead_lettered(bus: Bus) -> None:
    dropping: list[CloudEvent] = []
    dead: list[CloudEvent] = []
    bus.pubsub.subscribe(TOPIC, "dashboard.dropping", recorder(dropping, [Delivery.DROP]))
    bus.pubsub.subscribe(DEAD_LETTER_TOPIC, "ops.dead", recorder(dead))
    await bus.pubsub.publish(envelope())
    await bus.drain()

    assert len(dropping) == 1
    assert dead == []


# ---- through the kernel inbox --------------------------------------------------------------


@pytest.fixture
async def inbox_schema(db: Database) -> AsyncIterator[Database]:
    """A module-like schema with the kernel's inbox table and one table the handler writes."""
    async with db.connection() as conn:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.inbox (id bigserial PRIMARY KEY, "
            "event_id varchar(64) NOT NULL, handler varchar(200) NOT NULL, topic text NOT NULL, "
            "processed_at timestamptz NOT NULL, UNIQUE (event_id, handler))"
        )
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.applied (event_id text NOT NULL, n int NOT NULL)"
        )
        await conn.execute(f"TRUNCATE {SCHEMA}.inbox, {SCHEMA}.applied")
    yield db


async def test_redelivered_event_is_applied_once_through_the_inbox(
    bus: Bus, inbox_schema: Database
) -> None:
    db = inbox_schema
    calls: list[int] = []

    async def apply(event: ContractPinged, uow: UnitOfWork) -> None:
        calls.append(event.n)
        await uow.conn.execute(
            f"INSERT INTO {SCHEMA}.applied (event_id, n) VALUES ($1, $2)", event.event_id, event.n
        )
        if len(calls) == 1:
            raise RuntimeError("crash after writing, before commit")

    behind_inbox = inbox_handler(
        schema=SCHEMA,
        handler_name="contract.apply",
        handler=apply,
        unit_of_work=lambda: UnitOfWork(db, SCHEMA, "nija/contract", Sink()),
    )
    deliveries: list[str] = []

    async def subscriber(envelope: CloudEvent) -> Delivery:
        deliveries.append(envelope.id)
        return await behind_inbox(envelope)

    bus.pubsub.subscribe(TOPIC, "contract.apply", subscriber)
    event = ContractPinged(n=7)
    message = envelope_for(event, "nija/contract")
    # The relay may publish the same outbox row twice (crash between publish and mark).
    await bus.pubsub.publish(message)
    await bus.drain()
    await bus.pubsub.publish(message)
    await bus.drain()

    # Three deliveries reached the subscriber (failed attempt, its retry, the duplicate): the
    # bus does not dedupe, the inbox does. The failed attempt rolled back; the duplicate no-op'd.
    assert deliveries == [message.id] * 3
    assert calls == [7, 7]
    async with db.connection() as conn:
        applied = await conn.fetch(f"SELECT event_id, n FROM {SCHEMA}.applied")
        inbox = await conn.fetch(f"SELECT event_id, handler, topic FROM {SCHEMA}.inbox")
    assert [tuple(r) for r in applied] == [(event.event_id, 7)]
    assert [tuple(r) for r in inbox] == [(event.event_id, "contract.apply", TOPIC)]

"""The runtime handed to every module, and the base class of module plugins.

`app.py` builds one `Runtime` from the adapters it chose and gives it to each enabled module. A
module sees the world only through it: its database transactions (with outbox), the pub/sub and
state ports, the keyring, the token codec and its revocations, and the metrics registry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar, NamedTuple

from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.types import ControllerRouterHandler

from modules.kernel.auth import TokenCodec
from modules.kernel.db import Database
from modules.kernel.events import DEAD_LETTER_TOPIC, TOPICS, CloudEvent, IntegrationEvent
from modules.kernel.inbox import Concerns, GroupCommit, direct_handler, inbox_handler
from modules.kernel.metrics import Metrics
from modules.kernel.outbox import SingleStatement, UnitOfWork, publish_alone
from modules.kernel.outbox_relay import OutboxRelay
from modules.kernel.ports import Delivery, Keyring, PubSub, StateFactory, StateStore
from modules.kernel.revocation import STATE_NAME as REVOCATION_STATE
from modules.kernel.revocation import TokenRevocations
from modules.kernel.settings import Settings

log = logging.getLogger("nija.module")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pubsub: PubSub
    state_factory: StateFactory
    keyring: Keyring
    tokens: TokenCodec
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utc_now
    relays: dict[str, OutboxRelay] = field(default_factory=dict)

    def relay(self, schema: str) -> OutboxRelay:
        if schema not in self.relays:
            self.relays[schema] = OutboxRelay(
                self.db,
                schema,
                self.pubsub,
                poll_seconds=self.settings.outbox_poll_seconds,
                lag=self.metrics.outbox_lag.labels(schema),
                failures=self.metrics.worker_failures.labels(f"outbox.{schema}"),
            )
        return self.relays[schema]

    def count_dead_letters(self) -> None:
        """Count each message that reaches the dead-letter topic (`nija_dead_letters_total`),
        by the contract topic it was first published on; the alert on any dead letter reads it.
        """
        counter = self.metrics.dead_letters

        async def counted(envelope: CloudEvent) -> Delivery:
            topic = envelope.originaltopic or ""
            counter.labels(topic if topic in TOPICS else "other").inc()
            log.warning("dead letter", extra={"topic": topic[:200], "event_id": envelope.id[:64]})
            return Delivery.SUCCESS

        self.pubsub.subscribe(DEAD_LETTER_TOPIC, "kernel.dead-letters", counted)

    def unit_of_work(self, schema: str) -> UnitOfWork:
        return UnitOfWork(self.db, schema, f"nija/{schema}", self.relay(schema))

    def single_statement(self, schema: str) -> SingleStatement:
        """A unit of work of one statement that commits by itself, carrying its events."""
        return SingleStatement(self.db, schema, f"nija/{schema}", self.relay(schema))

    def publisher(self, schema: str) -> Callable[[list[IntegrationEvent]], Awaitable[None]]:
        """Publishes events with no other write beside them (`publish_alone`)."""

        async def publish(events: list[IntegrationEvent]) -> None:
            await publish_alone(self.db, schema, f"nija/{schema}", self.relay(schema), events)

        return publish

    def state(self, module: str) -> StateStore:
        return self.state_factory(module)

    @cached_property
    def revocations(self) -> TokenRevocations:
        """One per process, so its cache is shared by every request and socket."""
        # A revoked session is remembered a little longer than its last access token can live.
        return TokenRevocations(
            self.state(REVOCATION_STATE), retain_seconds=self.tokens.ttl_seconds + 60
        )


class Subscription(NamedTuple):
    """A module handler for one contract event.

    Durable subscriptions (the default) run `handler(event, uow)` in a transaction behind the
    module's inbox: applied exactly once however often the event is redelivered. Non-durable
    ones run `handler(event)` with no transaction, for superseding data such as market books.
    Batched ones are durable too but run `handler(events, uow)` over the deliveries that
    arrived together (`GroupCommit`), for hot handlers that serialise on one row. A durable
    subscription's `concerns`, when given, passes over the events it returns False for with no
    transaction at all: the module keeps nothing of them. Batched subscriptions of a module
    that name the same `group` (and the same handler, which sorts the kinds out) share one
    batch: events of several topics delivered together cost one transaction and one inbox
    statement, under the inbox name `<module>.<group>`.
    """

    event: type[IntegrationEvent]
    handler: Any
    name: str
    durable: bool = True
    batched: bool = False
    concerns: Concerns | None = None
    group: str | None = None


class NijaModule(InitPluginProtocol):
    """A bounded module as a Litestar plugin: routes, dependencies, subscriptions, tasks."""

    name: ClassVar[str]

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # What a module declares -------------------------------------------------------------
    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return []

    def dependencies(self) -> dict[str, Provide]:
        return {}

    def subscriptions(self) -> Sequence[Subscription]:
        return []

    async def start(self) -> None:
        """Start background work; called after every module has subscribed."""

    async def stop(self) -> None:
        """Stop background work."""

    # Wiring done by the kernel ----------------------------------------------------------
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(self.route_handlers())
        app_config.dependencies.update(self.dependencies())
        return app_config

    def unit_of_work(self) -> UnitOfWork:
        return self.runtime.unit_of_work(self.name)

    def attach(self) -> None:
        """Subscribe this module's handlers, each behind the inbox of the module's schema."""
        groups: dict[str, tuple[Subscription, GroupCommit]] = {}
        for sub in self.subscriptions():
            subscriber = f"{self.name}.{sub.name}"
            deliver: Callable[[CloudEvent], Awaitable[Delivery]]
            if sub.batched:
                deliver = self._group_commit(sub, subscriber, groups).deliver
            elif sub.durable:
                deliver = inbox_handler(
                    schema=self.name,
                    handler_name=subscriber,
                    handler=sub.handler,
                    unit_of_work=self.unit_of_work,
                    concerns=sub.concerns,
                )
            else:
                deliver = direct_handler(sub.handler)
            self.runtime.pubsub.subscribe(
                sub.event.TOPIC,
                subscriber,
                _counted(deliver, self.runtime.metrics, sub, subscriber),
            )

    def _group_commit(
        self,
        sub: Subscription,
        subscriber: str,
        groups: dict[str, tuple[Subscription, GroupCommit]],
    ) -> GroupCommit:
        if sub.group is not None and sub.group in groups:
            first, shared = groups[sub.group]
            if (sub.handler, sub.concerns) != (first.handler, first.concerns):
                raise ValueError(f"{subscriber}: group {sub.group} has another handler")
            return shared
        batch = GroupCommit(
            schema=self.name,
            handler_name=subscriber if sub.group is None else f"{self.name}.{sub.group}",
            handler=sub.handler,
            unit_of_work=self.unit_of_work,
            concerns=sub.concerns,
        )
        if sub.group is not None:
            groups[sub.group] = (sub, batch)
        return batch

    async def start_relay(self) -> None:
        self.runtime.relay(self.name).start()


def _counted(deliver: Any, metrics: Metrics, sub: Subscription, subscriber: str) -> Any:
    # The subscription's counters, looked up once: a labels() lookup (a lock and the label
    # values checked) on each of the 15-20 deliveries of an order was 1 % of the app's CPU.
    counter = metrics.events_handled
    handled = {v: counter.labels(sub.event.TOPIC, subscriber, v.value.lower()) for v in Delivery}
    failed = counter.labels(sub.event.TOPIC, subscriber, "error")

    async def wrapped(envelope: Any) -> Delivery:
        try:
            verdict: Delivery = await deliver(envelope)
        except Exception:
            failed.inc()
            raise
        handled[verdict].inc()
        return verdict

    return wrapped

"""The inbox side of the transactional outbox: deliveries applied once.

A durable subscription's handler runs inside a unit of work that first records the event id in
`<schema>.inbox`, so a redelivered event is recognised and skipped (`inbox_handler`), or a batch
of deliveries shares one transaction and one inbox statement (`GroupCommit`). Subscriptions that
keep nothing durable take the event as it comes (`direct_handler`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from modules.kernel.batches import BatchQueue
from modules.kernel.events import CloudEvent, IntegrationEvent, decode_event, has_data
from modules.kernel.outbox import UnitOfWork, check_schema
from modules.kernel.ports import Delivery

log = logging.getLogger("nija.outbox")

EventHandler = Callable[[Any, UnitOfWork], Awaitable[None]]


def _decoded(envelope: CloudEvent) -> IntegrationEvent | None:
    """The contract event an envelope carries; None (drop it) for one no retry could fix."""
    if not has_data(envelope):
        return None
    try:
        return decode_event(envelope.type, envelope.data)
    except (LookupError, msgspec.DecodeError, msgspec.ValidationError):
        log.warning("undecodable event dropped", extra={"topic": envelope.type})
        return None


# A subscription's word on an event: False for one the module keeps nothing of (the bot and a
# trader's own order, say). Such a delivery is acknowledged with no transaction and no inbox row:
# applying nothing twice is still nothing.
Concerns = Callable[[Any], bool]


def _event_for(envelope: CloudEvent, concerns: Concerns | None) -> IntegrationEvent | Delivery:
    """The event a durable subscription applies, or its answer without applying one: DROP for
    an envelope no retry could fix, SUCCESS for an event it is not concerned with."""
    event = _decoded(envelope)
    if event is None:
        return Delivery.DROP
    if concerns is not None and not concerns(event):
        return Delivery.SUCCESS
    return event


def inbox_handler(
    *,
    schema: str,
    handler_name: str,
    handler: EventHandler,
    unit_of_work: Callable[[], UnitOfWork],
    concerns: Concerns | None = None,
) -> Callable[[CloudEvent], Awaitable[Delivery]]:
    """Wrap a module handler: decode by topic, dedupe by event id, run in one transaction."""
    check_schema(schema)
    insert_sql = (
        f"INSERT INTO {schema}.inbox (event_id, handler, topic, processed_at) "  # noqa: S608
        "VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING"
    )

    async def deliver(envelope: CloudEvent) -> Delivery:
        event = _event_for(envelope, concerns)
        if isinstance(event, Delivery):
            return event
        async with unit_of_work() as uow:
            status = await uow.conn.execute(insert_sql, envelope.id, handler_name, envelope.type)
            if status.endswith(" 0"):
                return Delivery.SUCCESS
            await handler(event, uow)
        return Delivery.SUCCESS

    return deliver


BatchHandler = Callable[[list[Any], UnitOfWork], Awaitable[None]]


class GroupCommit:
    """A durable subscription whose concurrent deliveries share one transaction.

    For hot subscriptions (an event or more per order placed), and for handlers that serialise
    on one row anyway (the audit chain's head): instead of one transaction per event, the
    deliveries that arrive while a batch is being written wait for the next one, and a batch
    costs one transaction, one inbox statement and one commit whatever its size.
    Dedupe is unchanged: the batch's event ids go into the inbox in the same transaction and
    only the new ones reach the handler. Each delivery still answers only once its batch has
    committed; if a batch fails, its events are retried one per transaction so that one bad
    event cannot fail the others.
    """

    def __init__(
        self,
        *,
        schema: str,
        handler_name: str,
        handler: BatchHandler,
        unit_of_work: Callable[[], UnitOfWork],
        max_batch: int = 64,
        concerns: Concerns | None = None,
    ) -> None:
        check_schema(schema)
        self._name = handler_name
        self._concerns = concerns
        self._handler = handler
        self._unit_of_work = unit_of_work
        self._insert_sql = (
            f"INSERT INTO {schema}.inbox (event_id, handler, topic, processed_at) "  # noqa: S608
            "SELECT e, $2, t, now() FROM unnest($1::text[], $3::text[]) AS u(e, t) "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        )
        self._queue: BatchQueue[tuple[CloudEvent, Any]] = BatchQueue(
            self._commit, name=f"batch:{handler_name}", max_batch=max_batch
        )

    async def deliver(self, envelope: CloudEvent) -> Delivery:
        event = _event_for(envelope, self._concerns)
        if isinstance(event, Delivery):
            return event
        await self._queue.submit((envelope, event))
        return Delivery.SUCCESS

    async def _commit(self, batch: list[tuple[CloudEvent, Any]]) -> None:
        async with self._unit_of_work() as uow:
            fresh = {
                row["event_id"]
                for row in await uow.conn.fetch(
                    self._insert_sql,
                    [envelope.id for envelope, _event in batch],
                    self._name,
                    [envelope.type for envelope, _event in batch],
                )
            }
            events = []
            for envelope, event in batch:
                if envelope.id in fresh:
                    fresh.discard(envelope.id)  # a duplicate within the batch runs once
                    events.append(event)
            if events:
                await self._handler(events, uow)


def in_key_order(handler: EventHandler, key: Callable[[Any], str]) -> BatchHandler:
    """Run a per-event handler over a group-committed batch, sorted by `key`.

    For handlers that lock one row per event, named by `key` (an order id, say): every batch
    then takes its locks in the same order, so batches of different subscriptions touching the
    same rows wait for each other instead of deadlocking.
    """

    async def run(events: list[Any], uow: UnitOfWork) -> None:
        for event in sorted(events, key=key):
            await handler(event, uow)

    return run


def direct_handler(
    handler: Callable[[Any], Awaitable[None]],
) -> Callable[[CloudEvent], Awaitable[Delivery]]:
    """Wrap a non-durable handler: decode by topic and call it, no transaction, no inbox."""

    async def deliver(envelope: CloudEvent) -> Delivery:
        event = _decoded(envelope)
        if event is None:
            return Delivery.DROP
        await handler(event)
        return Delivery.SUCCESS

    return deliver

"""Transactional outbox and inbox.

A module writes the events it publishes into `<schema>.outbox` in the same transaction as its own
data (`UnitOfWork.publish`), and a relay publishes them afterwards (`modules.kernel.outbox_relay`:
handed over on commit, the table polled only for recovery), so a crash between the write and the
publish loses nothing. The receiving side, handlers that record each event id in
`<schema>.inbox` so a redelivered event is skipped, is `modules.kernel.inbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple, Protocol, TypeVar

import asyncpg
from piccolo.columns import BigSerial, Bytea, Text, Timestamptz, Varchar
from piccolo.constraints import Unique
from piccolo.table import Table

from modules.kernel.db import ENGINE, Database
from modules.kernel.events import (
    CloudEvent,
    IntegrationEvent,
    encode_envelope,
    envelope_for,
)

log = logging.getLogger("nija.outbox")
E = TypeVar("E", bound=IntegrationEvent)
# An outbox row a transaction has just committed: its id and the envelope it holds.
Committed = tuple[int, CloudEvent]


class OutboxSink(Protocol):
    """Where a unit of work's outbox rows go (the module's relay)."""

    def reserve(self, ids: list[int]) -> None:
        """Rows written and about to commit: this process publishes them, its polls leave them
        (else a poll between the commit and the hand-off would publish them a second time)."""

    def release(self, ids: list[int]) -> None:
        """The reserved rows' transaction did not commit."""

    def hand_off(self, rows: list[Committed]) -> None:
        """The rows' transaction committed: publish them."""

    def writing(self) -> None:
        """A statement that commits by itself is about to write rows, whose ids are known only
        once it has committed: until `done_writing`, no poll may take rows that fresh."""

    def done_writing(self) -> None:
        """The statement announced by `writing` ended (its rows were handed over, if any)."""


_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def outbox_tables(schema: str) -> tuple[type[Table], type[Table]]:
    """The outbox and inbox tables every module keeps in its own schema (for its tables.py)."""
    outbox = type(
        "Outbox",
        (Table,),
        {
            "id": BigSerial(primary_key=True),
            "event_id": Varchar(length=64, unique=True),
            "topic": Varchar(length=200),
            "envelope": Bytea(),
            "created_at": Timestamptz(),
            "published_at": Timestamptz(null=True, default=None),
        },
        tablename="outbox",
        schema=schema,
        db=ENGINE,
    )
    inbox = type(
        "Inbox",
        (Table,),
        {
            "id": BigSerial(primary_key=True),
            "event_id": Varchar(length=64),
            "handler": Varchar(length=200),
            "topic": Text(),
            "processed_at": Timestamptz(),
            "once_per_handler": Unique(["event_id", "handler"]),
        },
        tablename="inbox",
        schema=schema,
        db=ENGINE,
    )
    return outbox, inbox


def check_schema(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"invalid schema name {schema!r}")
    return schema


class UnitOfWork:
    """One database transaction of one module, with the events it will publish on commit.

    Piccolo queries run inside it automatically (Piccolo keeps the current transaction in a
    context variable); raw SQL goes through `conn`.
    """

    def __init__(
        self,
        db: Database,
        schema: str,
        source: str,
        sink: OutboxSink,
    ):
        self._db = db
        self._schema = check_schema(schema)
        self._source = source
        self._sink = sink
        self._events: list[IntegrationEvent] = []
        self._committed: list[Committed] = []
        self._after_commit: list[Callable[[], Any]] = []
        self._txn: Any = None
        self._lane = False  # a background turn taken (Database.enter_lane)
        self.conn: asyncpg.Connection = None

    async def __aenter__(self) -> UnitOfWork:
        self._lane = await self._db.enter_lane()
        self._txn = self._db.engine.transaction(allow_nested=False)
        try:
            txn = await self._txn.__aenter__()
        except BaseException:  # cancelled during BEGIN, say: no exit will give it back
            await self._give_back_connection()
            self._db.leave_lane(self._lane)
            self._lane = False
            raise
        self.conn = txn.connection
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None and self._events:
            try:
                await self._write_outbox()
            except BaseException as write_error:
                await self._end(type(write_error), write_error, write_error.__traceback__)
                raise
        # Rows written by a transaction that rolls back never existed: nothing to reserve.
        ids = [row_id for row_id, _envelope in self._committed] if exc is None else []
        if ids:
            self._sink.reserve(ids)
        try:
            await self._end(exc_type, exc, tb)
        except BaseException:
            if ids:
                self._sink.release(ids)
            raise
        if exc is not None:
            return
        await self._committed_now()

    async def _committed_now(self) -> None:
        """Hand the committed rows to the relay and run the after-commit callbacks."""
        if self._committed:
            self._sink.hand_off(self._committed)
        for callback in self._after_commit:
            try:
                result = callback()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("after-commit callback failed")

    async def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Commit or roll back, and always give the connection back.

        Piccolo's exit returns the connection to the pool only after COMMIT (or ROLLBACK) has
        answered: a task cancelled while waiting for that answer (a delivery cut short at
        shutdown) would keep it checked out for good, and the pool's close would wait for it.
        """
        try:
            await self._txn.__aexit__(exc_type, exc, tb)
        except BaseException:
            await self._give_back_connection()
            raise
        finally:
            self._db.leave_lane(self._lane)
            self._lane = False

    async def _give_back_connection(self) -> None:
        connection = getattr(self._txn, "connection", None)
        pool = self._db.engine.pool
        if pool is not None and connection is not None:
            try:
                await pool.release(connection)  # a no-op if it was already given back
            except Exception:
                # The transaction's own error is what the caller gets; this one is only told.
                log.warning("could not give a connection back to the pool", exc_info=True)

    def after_commit(self, callback: Callable[[], Any]) -> None:
        """Run `callback` (sync or async) once the transaction has committed, never before.

        For side effects outside the database, such as pushing to a WebSocket, that must not
        happen if the transaction rolls back.
        """
        self._after_commit.append(callback)

    def publish(self, event: IntegrationEvent) -> None:
        """Queue `event`; it is written to the outbox when the transaction commits."""
        self._events.append(event)

    def pending_outbox(self) -> OutboxInsert | None:
        """The events published so far as one insert, for the caller to send as a CTE of the
        statement that makes its last write (one round trip for both); hand the ids it returns
        to `wrote_outbox`. None when nothing was published."""
        if not self._events:
            return None
        return outbox_insert(self._schema, self._source, self._events)

    def wrote_outbox(self, insert: OutboxInsert | None, ids: Sequence[int]) -> None:
        """`insert`'s rows were written (by the caller's statement, in this transaction); None
        (nothing was pending) is nothing to record."""
        if insert is None:
            return
        self._committed.extend(insert.committed(ids))
        del self._events[: len(insert.envelopes)]

    def wrote_some(self, insert: OutboxInsert, ids_by_event: Mapping[str, int]) -> None:
        """`insert` was carried with a condition that decided per event: the events in
        `ids_by_event` were written, the others refused by it (and are not published)."""
        self._committed.extend(insert.committed_of(ids_by_event))
        del self._events[: len(insert.envelopes)]

    async def _write_outbox(self) -> None:
        self._committed.extend(
            await _outbox_rows(self.conn, self._schema, self._source, self._events)
        )


class SingleStatement(UnitOfWork):
    """A unit of work whose writes are one statement, which commits by itself: no BEGIN and
    COMMIT round trips. Its events ride in that statement (`pending_outbox`); an event left
    unwritten at the end is a bug, raised. The statement is atomic by itself, and an error
    raised after it does not undo it (its rows are then published by the relay's poll)."""

    _connection: contextlib.AbstractAsyncContextManager[asyncpg.Connection]

    async def __aenter__(self) -> SingleStatement:
        self._connection = self._db.connection()
        self._sink.writing()
        try:
            self.conn = await self._connection.__aenter__()
        except BaseException:
            self._sink.done_writing()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._connection.__aexit__(exc_type, exc, tb)
            if exc is not None:
                return
            if self._events:
                raise RuntimeError("events published after the statement that was to write them")
            await self._committed_now()
        finally:
            self._sink.done_writing()


class OutboxInsert(NamedTuple):
    """Events' outbox rows as one `INSERT ... RETURNING id`, rendered with its parameters
    numbered from wherever the statement that carries it puts them (`sql`), so a module can
    write its events in the same round trip as its own rows."""

    schema: str
    envelopes: list[CloudEvent]
    args: tuple[list[str], list[str], list[bytes]]

    def sql(self, first: int = 1, when: str | None = None) -> str:
        """The insert (returning `id` and `event_id`), its three parameters numbered from
        `first`; with `when` (an SQL condition) a row is written only if it holds. The condition
        may name `u.n`, the event's place among those published (from 1), to decide per event."""
        where = "" if when is None else f"WHERE {when} "
        return (
            f"INSERT INTO {self.schema}.outbox (event_id, topic, envelope, created_at) "  # noqa: S608
            f"SELECT u.e, u.t, u.v, now() FROM unnest(${first}::text[], ${first + 1}::text[], "
            f"${first + 2}::bytea[]) WITH ORDINALITY AS u(e, t, v, n) {where}"
            "ORDER BY u.n RETURNING id, event_id"
        )

    def committed(self, ids: Sequence[int]) -> list[Committed]:
        """The rows the statement wrote (it returned their `ids`: all of them, or none when its
        condition did not hold), in the order published: ids are drawn in that order."""
        if not ids:
            return []
        return list(zip(sorted(ids), self.envelopes, strict=True))

    def committed_of(self, ids_by_event: Mapping[str, int]) -> list[Committed]:
        """The rows a statement whose condition decided per event wrote: `ids_by_event` maps
        the written events' ids to their rows' ids."""
        return [
            (ids_by_event[envelope.id], envelope)
            for envelope in self.envelopes
            if envelope.id in ids_by_event
        ]


def outbox_insert(schema: str, source: str, events: Sequence[IntegrationEvent]) -> OutboxInsert:
    envelopes = [envelope_for(e, source) for e in events]
    return OutboxInsert(
        check_schema(schema),
        envelopes,
        (
            [e.event_id for e in events],
            [e.TOPIC for e in events],
            [encode_envelope(envelope) for envelope in envelopes],
        ),
    )


async def _outbox_rows(
    conn: asyncpg.Connection, schema: str, source: str, events: list[IntegrationEvent]
) -> list[Committed]:
    # One statement however many events: a thousand bots' intents on one bar are one INSERT,
    # not a thousand (the server's cost per row, not per statement).
    insert = outbox_insert(schema, source, events)
    rows = await conn.fetch(insert.sql(), *insert.args)
    return insert.committed([row["id"] for row in rows])


async def publish_alone(
    db: Database, schema: str, source: str, sink: OutboxSink, events: list[IntegrationEvent]
) -> None:
    """Publish events that need no other write beside them: their outbox rows are one statement,
    which commits by itself (no BEGIN and COMMIT round trips), then handed to the relay."""
    sink.writing()
    try:
        async with db.connection() as conn:
            committed = await _outbox_rows(conn, check_schema(schema), source, events)
        sink.hand_off(committed)
    finally:
        sink.done_writing()

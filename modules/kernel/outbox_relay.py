"""The relay that publishes a module's outbox rows (see `modules.kernel.outbox`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import msgspec
from prometheus_client import Counter, Gauge

from modules.kernel.db import Database
from modules.kernel.events import CloudEvent
from modules.kernel.outbox import Committed, check_schema
from modules.kernel.ports import PubSub

log = logging.getLogger("nija.outbox")
RECOVERY_AFTER = timedelta(seconds=2)


class OutboxRelay:
    """Publishes a module's committed outbox rows, in order, at least once.

    A committed transaction hands its rows over (`hand_off`): they are published at once, with
    no query, and marked published in bulk, one UPDATE for whatever was published within
    `mark_linger_seconds`. The poll of the table is only recovery, every `poll_seconds`: rows a
    crash left unpublished, or whose publish failed, or those another replica committed and did
    not publish. It takes only rows older than `RECOVERY_AFTER` (the committing process
    publishes and marks its own within milliseconds), so a replica's poll does not race another
    replica's hand-off. A row published but not yet marked when the process dies is published
    again by the poll, which the subscribers' inboxes absorb (at least once, as before).
    """

    def __init__(
        self,
        db: Database,
        schema: str,
        pubsub: PubSub,
        *,
        poll_seconds: float = 0.5,
        mark_linger_seconds: float = 0.05,
        lag: Gauge | None = None,
        failures: Counter | None = None,
    ) -> None:
        self._db = db
        self._schema = check_schema(schema)
        self._pubsub = pubsub
        self._poll = poll_seconds
        self._linger = mark_linger_seconds
        # Age of the oldest row found unpublished (0: none): what a stuck bus looks like.
        self._lag = lag
        # Rounds that failed (`nija_worker_failures_total{worker="outbox.<schema>"}`).
        self._failures = failures
        self._select_sql = (
            f"SELECT id, envelope, extract(epoch FROM clock_timestamp() - created_at) AS age "  # noqa: S608
            f"FROM {self._schema}.outbox WHERE published_at IS NULL "
            "AND NOT (id = ANY($2::bigint[])) AND created_at < clock_timestamp() - $3::interval "
            "ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
        self._mark_sql = (
            f"UPDATE {self._schema}.outbox SET published_at = now() "  # noqa: S608
            "WHERE id = ANY($1::bigint[])"
        )
        self._handed: list[Committed] = []
        # Handed over and not yet marked: the poll leaves them to this process.
        self._in_flight: set[int] = set()
        self._published: list[int] = []
        # Statements committing by themselves, whose rows are not reserved until they return:
        # while any is under way, `relay_once` polls only rows older than `RECOVERY_AFTER`.
        self._writers = 0
        self._mark_due: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def reserve(self, ids: list[int]) -> None:
        self._in_flight.update(ids)

    def release(self, ids: list[int]) -> None:
        self._in_flight.difference_update(ids)

    def hand_off(self, rows: list[Committed]) -> None:
        self._handed.extend(rows)
        self._in_flight.update(row_id for row_id, _envelope in rows)
        self._wake.set()

    def writing(self) -> None:
        self._writers += 1

    def done_writing(self) -> None:
        self._writers -= 1

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox:{self._schema}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._mark()  # what went out is not sent again by the next start's poll
        except Exception:
            log.warning("could not mark published outbox rows", extra={"schema": self._schema})

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while True:
            try:
                await self._publish_handed()
                if self._mark_due is not None and loop.time() >= self._mark_due:
                    await self._mark()
                if loop.time() >= next_poll:
                    next_poll = loop.time() + self._poll
                    while await self._poll_once(200, RECOVERY_AFTER):
                        pass
            except Exception:
                if self._failures is not None:
                    self._failures.inc()
                log.exception("outbox relay failed; will retry", extra={"schema": self._schema})
            due = next_poll if self._mark_due is None else min(next_poll, self._mark_due)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, due - loop.time()))
            self._wake.clear()

    async def relay_once(self, batch: int = 200) -> int:
        """Publish what was handed over and one polled batch, and mark them; how many went
        out. For a caller that must see everything published now (tests' settle): the poll
        takes rows of any age, except while a statement that commits by itself is under way
        (its rows are handed over when it ends; taken now, they would go out twice)."""
        handed = await self._publish_handed()
        await self._mark()
        fresh = timedelta(0) if self._writers == 0 else RECOVERY_AFTER
        return handed + await self._poll_once(batch, fresh)

    async def _publish_handed(self) -> int:
        rows, self._handed = self._handed, []
        if not rows:
            return 0
        try:
            # Concurrently: with the in-process bus a publish lasts until delivery is settled.
            await asyncio.gather(*(self._pubsub.publish(envelope) for _id, envelope in rows))
        except BaseException:
            # Left unmarked: the poll publishes them again.
            self._in_flight.difference_update(row_id for row_id, _envelope in rows)
            raise
        self._published.extend(row_id for row_id, _envelope in rows)
        if self._mark_due is None:
            self._mark_due = asyncio.get_running_loop().time() + self._linger
        return len(rows)

    async def _mark(self) -> None:
        ids, self._published, self._mark_due = self._published, [], None
        if not ids:
            return
        try:
            async with self._db.connection() as conn:
                await conn.execute(self._mark_sql, ids)
        finally:
            # Marked or not, the poll may have them now (at worst they go out once more).
            self._in_flight.difference_update(ids)

    async def _poll_once(self, batch: int, older_than: timedelta) -> int:
        """Publish one batch of rows nobody handed over; SKIP LOCKED lets replicas share."""
        async with self._db.connection() as conn, conn.transaction():
            rows = await conn.fetch(self._select_sql, batch, list(self._in_flight), older_than)
            if self._lag is not None:
                self._lag.set(max((float(row["age"]) for row in rows), default=0.0))
            await asyncio.gather(
                *(
                    self._pubsub.publish(msgspec.json.decode(row["envelope"], type=CloudEvent))
                    for row in rows
                )
            )
            if rows:
                await conn.execute(self._mark_sql, [r["id"] for r in rows])
            return len(rows)

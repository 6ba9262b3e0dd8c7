"""One group commit shared by every order-path subscription of the dashboard.

The kernel's `GroupCommit` batches the deliveries of one subscription; an order, though, brings
the dashboard a handful of events on different topics (routed, accepted, filled, the position
and the balance after the fill), each of which used to cost its own transaction, inbox
statement and commit. Here they queue together: the events delivered while a batch is being
written (or, for a lingering kind such as a balance report, within `linger` seconds) share one
transaction, one inbox statement and one commit.

The guarantees are the inbox's: the batch's event ids go into the inbox in the batch's
transaction and only the new ones reach the fold, so an event is applied once however often it
is delivered; a delivery is answered only after its batch has committed, so nothing is
acknowledged that a crash could lose. A failed batch is retried one event per transaction so
that one bad event cannot hold back the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from modules.kernel.batches import commit_batch
from modules.kernel.events import IntegrationEvent
from modules.kernel.outbox import UnitOfWork

Fold = Callable[[list[IntegrationEvent], UnitOfWork], Awaitable[None]]
_INBOX_SQL = (
    "INSERT INTO dashboard.inbox (event_id, handler, topic, processed_at) "
    "SELECT e, $2, t, now() FROM unnest($1::text[], $3::text[]) AS u(e, t) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
_Item = tuple[IntegrationEvent, "asyncio.Future[None]"]


class SharedGroupCommit:
    def __init__(
        self,
        *,
        name: str,
        fold: Fold,
        unit_of_work: Callable[[], UnitOfWork],
        lingering: tuple[type[IntegrationEvent], ...] = (),
        linger: float = 0.0,
        max_batch: int = 256,
    ) -> None:
        self._name = name
        self._fold = fold
        self._unit_of_work = unit_of_work
        self._lingering = lingering
        self._linger = linger
        self._max_batch = max_batch
        self._pending: list[_Item] = []
        self._writer: asyncio.Task[None] | None = None
        self._urgent = asyncio.Event()

    async def deliver(self, event: IntegrationEvent) -> None:
        """Return once `event` is committed (or was already); raise if its batch failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, done))
        if not isinstance(event, self._lingering):
            self._urgent.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name=f"batch:{self._name}")
        # Shielded: a cancelled delivery must not cancel a batch other deliveries are part of.
        await asyncio.shield(done)

    async def _write_batches(self) -> None:
        while self._pending:
            await self._wait_for_company()
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            if all(isinstance(event, self._lingering) for event, _done in self._pending):
                self._urgent.clear()  # what is left may wait for company again
            await commit_batch(batch, self._commit, lambda item: item[1])

    async def _wait_for_company(self) -> None:
        """A batch of lingering events only (balance reports) waits up to `linger` seconds for
        more, or until an urgent event (an order's) arrives and takes them along."""
        await asyncio.sleep(0)  # let deliveries scheduled with this one join it
        if self._linger <= 0 or self._urgent.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._urgent.wait(), self._linger)

    async def _commit(self, batch: list[_Item]) -> None:
        async with self._unit_of_work() as uow:
            rows = await uow.conn.fetch(
                _INBOX_SQL,
                [event.event_id for event, _done in batch],
                self._name,
                [event.TOPIC for event, _done in batch],
            )
            fresh = {row["event_id"] for row in rows}
            events = []
            for event, _done in batch:
                if event.event_id in fresh:
                    fresh.discard(event.event_id)  # a duplicate within the batch runs once
                    events.append(event)
            if events:
                await self._fold(events, uow)

"""Events published from many concurrent tasks that have no transaction of their own.

A task that only has news to tell (execution's balances after a fill, say) used to open a
transaction for its one outbox row. Here the events that arrive while one batch commits wait for
the next: a batch costs one transaction, one outbox statement and one commit whatever its size,
and the first event of a quiet moment is written at once (no timer). Each `publish` returns once
its event is committed (and raises if it could not be); a failed batch is retried event by
event, so one bad event fails only its own publish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from modules.kernel.events import IntegrationEvent
from modules.kernel.outbox import UnitOfWork, commit_batch

_Item = tuple[IntegrationEvent, asyncio.Future[None]]


class GroupPublish:
    def __init__(
        self, unit_of_work: Callable[[], UnitOfWork], *, name: str, max_batch: int = 64
    ) -> None:
        self._unit_of_work = unit_of_work
        self._name = name
        self._max_batch = max_batch
        self._pending: list[_Item] = []
        self._writer: asyncio.Task[None] | None = None

    async def publish(self, event: IntegrationEvent) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name=f"publish:{self._name}")
        # Shielded: a cancelled publisher must not cancel a batch others are part of.
        await asyncio.shield(done)

    async def _write_batches(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            await commit_batch(batch, self._commit, lambda item: item[1])

    async def _commit(self, batch: list[_Item]) -> None:
        async with self._unit_of_work() as uow:
            for event, _done in batch:
                uow.publish(event)

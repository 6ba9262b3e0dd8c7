"""Events published from many concurrent tasks that have no transaction of their own.

A task that only has news to tell (execution's balances after a fill, say) used to open a
transaction for its one outbox row: BEGIN, the insert and COMMIT, three round trips. Here the
events that arrive while one batch is written wait for the next, and a batch is written by
`write` (`Runtime.publisher`: one outbox statement, which commits by itself), whatever its size;
the first event of a quiet moment is written at once (no timer). Each `publish` returns once its
event is committed (and raises if it could not be); a failed batch is retried event by event,
so one bad event fails only its own publish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from modules.kernel.events import IntegrationEvent
from modules.kernel.outbox import commit_batch

_Item = tuple[IntegrationEvent, asyncio.Future[None]]
Write = Callable[[list[IntegrationEvent]], Awaitable[None]]


class GroupPublish:
    def __init__(self, write: Write, *, name: str, max_batch: int = 64) -> None:
        self._write = write
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
        await self._write([event for event, _done in batch])

"""Work submitted by many concurrent tasks, committed in batches.

The items submitted while one batch is being committed wait for the next: a batch costs what one
item would (one transaction, one statement), whatever its size, and the first item of a quiet
moment is committed at once (no timer). Each `submit` returns once its item is committed, and
raises if it could not be; a failed batch is retried item by item, so one bad item fails only
its own submit. Used by the kernel's group-committed subscriptions (outbox.py) and by tasks that
only have events to tell (execution's balance reports).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger("nija.outbox")
T = TypeVar("T")


class BatchQueue(Generic[T]):
    def __init__(
        self, commit: Callable[[list[T]], Awaitable[None]], *, name: str, max_batch: int = 64
    ) -> None:
        self._commit = commit
        self._name = name
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name=self._name)
        # Shielded: a cancelled submitter must not cancel a batch others are part of.
        await asyncio.shield(done)

    async def _write_batches(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            await commit_batch(batch, self._commit_items, lambda entry: entry[1])

    async def _commit_items(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        await self._commit([item for item, _done in batch])


async def commit_batch(
    batch: list[T],
    commit: Callable[[list[T]], Awaitable[None]],
    done_of: Callable[[T], asyncio.Future[None]],
) -> None:
    """Commit a batch of deliveries together and answer each; if the batch fails, its items are
    committed one by one, so one bad event fails only its own delivery."""
    try:
        await commit(batch)
    except Exception:
        log.warning("batch failed; retrying its events one by one", exc_info=True)
        for item in batch:
            try:
                await commit([item])
            except Exception as error:
                _settle(done_of(item), error)
            else:
                _settle(done_of(item), None)
    else:
        for item in batch:
            _settle(done_of(item), None)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)

"""Work submitted by many concurrent tasks, committed in batches.

The items submitted while one batch is being committed wait for the next: a batch costs what one
item would (one transaction, one statement), whatever its size, and the first item of a quiet
moment is committed at once (no timer). Each `submit` returns once its item is committed, and
raises if it could not be; a failed batch is retried item by item, so one bad item fails only
its own submit. Used by the kernel's group-committed subscriptions (inbox.py).

`LatestByKey` is for snapshots instead: it lingers a moment so a batch gathers more, keeps only
the newest snapshot of each key, and drops a batch that fails (execution's balance reports).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from prometheus_client.metrics import Counter as CounterChild

log = logging.getLogger("nija.outbox")
T = TypeVar("T")
K = TypeVar("K")


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
    done_of: Callable[[T], asyncio.Future[Any]],
) -> None:
    """Commit a batch of deliveries together and answer each; if the batch fails, its items are
    committed one by one, so one bad event fails only its own delivery. A `commit` may answer
    its items itself (with a result of their own): an item already answered is left as it is."""
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


def _settle(done: asyncio.Future[Any], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class LatestByKey(Generic[K, T]):
    """Snapshots (an account's balances, say) written in batches after a short linger.

    A snapshot replaces the one of the same key not yet written: only the newest state of
    each key is worth a row. `submit` returns once the batch holding its snapshot was written,
    so producers go at the pace of the writes (a placement worker that reports balances does
    not take its next order sooner than its report is out); a batch that fails is logged and
    counted, and its snapshots are dropped (the next snapshot of the key reports again). For
    what is superseded, not for what is owed.
    """

    def __init__(
        self,
        commit: Callable[[list[T]], Awaitable[None]],
        *,
        name: str,
        linger_seconds: float,
        failures: CounterChild | None = None,
    ) -> None:
        self._commit = commit
        self._name = name
        self._linger = linger_seconds
        self._failures = failures
        self._pending: dict[K, T] = {}
        self._written: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    async def submit(self, key: K, item: T) -> None:
        self._pending[key] = item
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
        written = self._written
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name=self._name)
        # Shielded: a cancelled producer must not cancel a batch others are part of.
        await asyncio.shield(written)

    async def idle(self) -> None:
        """Wait until every snapshot submitted so far is written (or dropped)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def close(self) -> None:
        """Write what is pending now, without the linger (and so from now on)."""
        self._closing.set()
        await self.idle()

    async def _write(self) -> None:
        while self._pending:
            # What else comes meanwhile joins this batch.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._linger)
            batch = list(self._pending.values())
            written, self._written = self._written, None
            self._pending.clear()
            try:
                await self._commit(batch)
            except Exception:
                log.warning("%s: a batch was not written", self._name, exc_info=True)
                if self._failures is not None:
                    self._failures.inc()
            finally:
                if written is not None and not written.done():
                    written.set_result(None)

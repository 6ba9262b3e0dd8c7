"""In-process pub/sub with the delivery semantics of the Dapr sidecar.

Every message is JSON round-tripped (so nothing in-process can leak object identity across a
module seam), delivered at least once to each subscriber, retried with exponential backoff on
RETRY or an exception, and moved to the dead-letter topic after `max_attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from modules.kernel.events import (
    DEAD_LETTER_TOPIC,
    CloudEvent,
    decode_envelope,
    encode_envelope,
)
from modules.kernel.ports import Delivery, EnvelopeHandler, RetryLater

log = logging.getLogger("nija.bus")


class _Subscription:
    def __init__(self, topic: str, name: str, handler: EnvelopeHandler) -> None:
        self.topic = topic
        self.name = name
        self.handler = handler
        self.queue: asyncio.Queue[tuple[bytes, int, asyncio.Future[None] | None]] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self.in_flight = 0


class InProcessPubSub:
    def __init__(
        self,
        *,
        max_attempts: int = 5,
        retry_base_seconds: float = 0.05,
        retry_max_seconds: float = 2.0,
        concurrency: int = 16,
    ) -> None:
        self._subs: dict[str, list[_Subscription]] = defaultdict(list)
        self._max_attempts = max_attempts
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        # Consumers per subscription. Like a Dapr sidecar with concurrent delivery, messages of
        # one topic may be handled out of order, so handlers must not depend on arrival order.
        self._concurrency = max(1, concurrency)
        self._running = False
        self._retry_tasks: set[asyncio.Task[None]] = set()
        self._unsettled: set[asyncio.Future[None]] = set()

    def subscribe(self, topic: str, subscriber: str, handler: EnvelopeHandler) -> None:
        if any(s.name == subscriber for s in self._subs[topic]):
            raise ValueError(f"{subscriber!r} already subscribes to {topic!r}")
        sub = _Subscription(topic, subscriber, handler)
        self._subs[topic].append(sub)
        if self._running:
            self._start_consumers(sub)

    def topics(self) -> list[str]:
        return sorted(self._subs)

    async def start(self) -> None:
        self._running = True
        for subs in self._subs.values():
            for sub in subs:
                if not sub.tasks:
                    self._start_consumers(sub)

    def _start_consumers(self, sub: _Subscription) -> None:
        sub.tasks = [
            asyncio.create_task(self._consume(sub), name=f"bus:{sub.topic}:{sub.name}:{n}")
            for n in range(self._concurrency)
        ]

    async def stop(self) -> None:
        self._running = False
        for settled in list(self._unsettled):
            settled.cancel()  # publishers waiting on delivery learn it did not finish
        tasks = [t for subs in self._subs.values() for s in subs for t in s.tasks]
        tasks += list(self._retry_tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subs in self._subs.values():
            for sub in subs:
                sub.tasks = []

    async def ping(self) -> bool:
        return self._running

    async def publish(self, envelope: CloudEvent) -> None:
        """Return once every subscriber has settled the message (handled, dropped or dead-lettered).

        A sidecar's publish returns once the broker has the message durably; in-process, the
        only durable copy is the publisher's outbox row, so the relay must not mark it published
        before delivery is over. A crash mid-delivery then leaves the row to be sent again.
        """
        pending = self._enqueue(envelope)
        if pending:
            await asyncio.gather(*pending)

    def _enqueue(self, envelope: CloudEvent) -> list[asyncio.Future[None]]:
        payload = encode_envelope(envelope)
        loop = asyncio.get_running_loop()
        pending: list[asyncio.Future[None]] = []
        for sub in self._subs.get(envelope.type, ()):
            settled: asyncio.Future[None] = loop.create_future()
            self._unsettled.add(settled)
            settled.add_done_callback(self._unsettled.discard)
            sub.queue.put_nowait((payload, 1, settled))
            pending.append(settled)
        return pending

    async def drain(self, max_seconds: float = 10.0) -> None:
        """Wait until every queue is empty and nothing is in flight or waiting to retry."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_seconds
        while True:
            busy = self._retry_tasks or any(
                sub.queue.qsize() or sub.in_flight for subs in self._subs.values() for sub in subs
            )
            if not busy:
                return
            if loop.time() > deadline:
                raise TimeoutError("bus did not drain")
            await asyncio.sleep(0.005)

    async def _consume(self, sub: _Subscription) -> None:
        while True:
            payload, attempt, settled = await sub.queue.get()
            sub.in_flight += 1
            try:
                if await self._deliver(sub, payload, attempt, settled) and settled is not None:
                    if not settled.done():
                        settled.set_result(None)
            finally:
                sub.in_flight -= 1

    async def _deliver(
        self,
        sub: _Subscription,
        payload: bytes,
        attempt: int,
        settled: asyncio.Future[None] | None,
    ) -> bool:
        """Deliver once; True when the message is settled for this subscriber."""
        envelope = decode_envelope(payload)
        try:
            verdict = await sub.handler(envelope)
        except RetryLater as later:
            log.info(
                "subscriber retries later: %s",
                later,
                extra={"topic": sub.topic, "subscriber": sub.name},
            )
            verdict = Delivery.RETRY
        except Exception:
            log.exception("subscriber failed", extra={"topic": sub.topic, "subscriber": sub.name})
            verdict = Delivery.RETRY
        if verdict is Delivery.SUCCESS or verdict is Delivery.DROP:
            return True
        if attempt >= self._max_attempts:
            self._dead_letter(sub, envelope)
            return True
        delay = min(self._retry_base * 2 ** (attempt - 1), self._retry_max)
        task = asyncio.create_task(self._requeue_later(sub, payload, attempt + 1, delay, settled))
        self._retry_tasks.add(task)
        task.add_done_callback(self._retry_tasks.discard)
        return False

    async def _requeue_later(
        self,
        sub: _Subscription,
        payload: bytes,
        attempt: int,
        delay: float,
        settled: asyncio.Future[None] | None,
    ) -> None:
        await asyncio.sleep(delay)
        sub.queue.put_nowait((payload, attempt, settled))

    def _dead_letter(self, sub: _Subscription, envelope: CloudEvent) -> None:
        log.warning(
            "message dead-lettered",
            extra={"topic": sub.topic, "subscriber": sub.name, "event_id": envelope.id},
        )
        if sub.topic == DEAD_LETTER_TOPIC:
            return
        dead = CloudEvent(
            id=envelope.id,
            source=envelope.source,
            type=DEAD_LETTER_TOPIC,
            topic=DEAD_LETTER_TOPIC,
            time=envelope.time,
            data=envelope.data,
            originaltopic=sub.topic,
        )
        # Not awaited: the original message is settled by reaching the dead-letter topic.
        self._enqueue(dead)

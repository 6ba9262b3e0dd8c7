"""Push hub across replicas: pushes travel through one Redis pub/sub channel.

Each replica publishes every push to the channel and delivers what it hears on it to the sockets
it holds itself, so a user's event reaches their phone whichever replica handled the event and
whichever replica the phone is connected to. Redis pub/sub is at-most-once: a replica that loses
its subscription misses pushes until it resubscribes, which clients cover by re-reading
`GET /v1/dashboard/orders` on reconnect (every order carries a `revision`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import msgspec
import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.service import Outlet

log = logging.getLogger("nija.dashboard.redis")
CHANNEL = "nija:dashboard:push"
_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class _Envelope(msgspec.Struct, array_like=True, frozen=True):
    user_id: str
    payload: bytes


class RedisHub:
    def __init__(self, url: str, local: InProcessHub, *, channel: str = CHANNEL) -> None:
        self._client = redis.from_url(url)
        self._local = local
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def connect(self, user_id: str, outlet: Outlet) -> None:
        self._local.connect(user_id, outlet)

    def disconnect(self, user_id: str, outlet: Outlet) -> None:
        self._local.disconnect(user_id, outlet)

    def connections(self, user_id: str) -> int:
        return self._local.connections(user_id)

    async def push(self, user_id: str, payload: bytes) -> None:
        message = msgspec.msgpack.encode(_Envelope(user_id, payload))
        try:
            await self._client.publish(self._channel, message)
        except RedisError:
            # Better that this replica's own sockets still hear it than nobody does.
            log.warning("Redis unavailable; push delivered to this replica only")
            await self._local.push(user_id, payload)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="dashboard:redis-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._client.aclose()

    async def close_all(self, code: int, reason: str) -> None:
        await self._local.close_all(code, reason)

    async def _listen(self) -> None:
        attempt = 0
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    attempt = 0
                    await self._relay(pubsub)
            except (RedisError, OSError):
                delay = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
                attempt += 1
                log.warning("Redis subscription lost; retrying", extra={"in_seconds": delay})
                await asyncio.sleep(delay)

    async def _relay(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            try:
                envelope = msgspec.msgpack.decode(message["data"], type=_Envelope)
            except msgspec.DecodeError:
                log.warning("undecodable push on the Redis channel dropped")
                continue
            await self._local.push(envelope.user_id, envelope.payload)

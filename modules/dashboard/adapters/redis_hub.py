"""Push hub across replicas: pushes travel through one Redis pub/sub channel.

Each replica publishes every push to the channel and delivers what it hears on it to the sockets
it holds itself, so a user's event reaches their phone whichever replica handled the event and
whichever replica the phone is connected to. Redis pub/sub is at-most-once: a replica that loses
its subscription misses pushes until it resubscribes, which clients cover by re-reading
`GET /v1/dashboard/orders` on reconnect (every order carries a `revision`).

The hub is also the `PushChannel` that `workers/push_relay.py` keeps listening.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
import redis.asyncio as redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from modules.dashboard.ports import Outlet, PushHub
from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.dashboard.redis")
CHANNEL = "nija:dashboard:push"
_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class _Envelope(msgspec.Struct, array_like=True, frozen=True):
    user_id: str
    payload: bytes


class RedisHub:
    def __init__(
        self, url: str, local: PushHub, metrics: Metrics, *, channel: str = CHANNEL
    ) -> None:
        self._client = redis.from_url(url)
        self._local = local
        self._channel = channel
        self._dropped = metrics.counter(
            "nija_dashboard_push_drops_total", "Undecodable pushes heard on the Redis channel", []
        )
        self._subscribed = asyncio.Event()
        self._failures = 0

    def connect(self, user_id: str, outlet: Outlet) -> None:
        self._local.connect(user_id, outlet)

    def disconnect(self, user_id: str, outlet: Outlet) -> None:
        self._local.disconnect(user_id, outlet)

    def connections(self, user_id: str) -> int:
        return self._local.connections(user_id)

    def reachable(self, user_id: str) -> bool:
        """Another replica may hold the user's sockets: every push goes out."""
        return True

    async def push(self, user_id: str, payload: bytes) -> None:
        message = msgspec.msgpack.encode(_Envelope(user_id, payload))
        try:
            await self._client.publish(self._channel, message)
        except RedisError:
            # Better that this replica's own sockets still hear it than nobody does.
            log.warning("Redis unavailable; push delivered to this replica only")
            await self._local.push(user_id, payload)

    async def close_all(self, code: int, reason: str) -> None:
        await self._local.close_all(code, reason)

    async def stop(self) -> None:
        await self._client.aclose()

    # ---- the channel the relay worker listens on -------------------------------------------

    async def listen(self) -> None:
        try:
            async with self._client.pubsub() as pubsub:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                self._failures = 0
                await self._relay(pubsub)
        except Exception:
            self._failures += 1
            raise

    def retry_delay(self) -> float:
        return _RETRY_SECONDS[min(max(self._failures - 1, 0), len(_RETRY_SECONDS) - 1)]

    async def subscribed(self) -> None:
        await self._subscribed.wait()

    async def _relay(self, pubsub: PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            try:
                envelope = msgspec.msgpack.decode(message["data"], type=_Envelope)
            except msgspec.DecodeError:
                self._dropped.inc()
                log.warning("undecodable push on the Redis channel dropped", exc_info=True)
                continue
            await self._local.push(envelope.user_id, envelope.payload)

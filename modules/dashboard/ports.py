"""The dashboard's ports: the push hub that fans pushes out to a user's live connections.

Adapters: `adapters/memory_hub.py` (this process's connections), `adapters/redis_hub.py` (every
replica's, through one Redis channel) and `adapters/ws_outlet.py` (a Litestar WebSocket as an
outlet). The plugin picks the hub.
"""

from __future__ import annotations

from typing import Protocol


class Outlet(Protocol):
    """One client connection as the hub sees it."""

    def offer(self, payload: bytes) -> bool:
        """Queue `payload` without waiting; False when the connection cannot keep up."""
        ...

    def close(self, code: int, reason: str) -> None: ...


class PushHub(Protocol):
    """Fan-out of pushes to a user's live connections.

    The in-process adapter reaches the connections of this process only; a multi-replica
    deployment swaps in an adapter that relays `push` through a shared channel (e.g. Redis).
    """

    def connect(self, user_id: str, outlet: Outlet) -> None: ...

    def disconnect(self, user_id: str, outlet: Outlet) -> None: ...

    def connections(self, user_id: str) -> int:
        """Open connections of `user_id` in this process."""
        ...

    async def push(self, user_id: str, payload: bytes) -> None: ...

    async def close_all(self, code: int, reason: str) -> None: ...

    async def stop(self) -> None:
        """Release what the hub holds (a client to the shared channel, say)."""
        ...


class PushChannel(Protocol):
    """The channel replicas share pushes through, as the worker that listens on it sees it."""

    async def listen(self) -> None:
        """Subscribe, then deliver what the channel carries to this replica's connections.

        Returns only by raising, when the subscription is lost; the caller subscribes again.
        """
        ...

    def retry_delay(self) -> float:
        """Seconds to wait before subscribing again, growing with consecutive failures."""
        ...

    async def subscribed(self) -> None:
        """Return once the first subscription is up."""
        ...

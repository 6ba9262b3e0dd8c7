"""The dashboard's ports: the push hub that fans pushes out to a user's live connections, and
the mobile push service that reaches their phones.

Adapters: `adapters/memory_hub.py` (this process's connections), `adapters/pg_notify_hub.py`
(every replica's, through PostgreSQL LISTEN/NOTIFY: the default), `adapters/redis_hub.py` (every
replica's, through one Redis channel), `adapters/ws_outlet.py` (a Litestar WebSocket as an
outlet) and `adapters/expo_push.py` (Expo's push service). The plugin picks them.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

from modules.dashboard.domain.push import PushData


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

    def reachable(self, user_id: str) -> bool:
        """Whether a push to `user_id` could reach a socket on any replica (when False, the
        read side need not build it)."""
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


# ---- phone pushes ------------------------------------------------------------------------


class PushTicket(msgspec.Struct, frozen=True, kw_only=True):
    """The push service's answer for one message: accepted under a receipt id, or an error."""

    status: Literal["ok", "error"]
    id: str | None = None
    error: str | None = None
    message: str = ""


class PushReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """What the push service learnt from Apple or Google about one accepted message."""

    status: Literal["ok", "error"]
    error: str | None = None


class OutgoingMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message for one device: where it goes, what it says and the deep link it carries."""

    to: str
    title: str
    body: str
    data: PushData

    def __repr__(self) -> str:  # the token is a secret; a traceback must not print it
        return f"OutgoingMessage(title={self.title!r})"

    __str__ = __repr__


class PushServiceUnavailable(Exception):
    """The push service could not take the request now (5xx, 429, network); try again later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PushRequestRefused(Exception):
    """The push service refused the request as such (a 4xx other than 429): do not repeat it."""


class PushSender(Protocol):
    """A mobile push service (Expo's): send messages, later read their receipts."""

    async def send(self, messages: list[OutgoingMessage]) -> list[PushTicket]:
        """One ticket per message, in order. Raises PushServiceUnavailable/PushRequestRefused."""
        ...

    async def receipts(self, ids: list[str]) -> dict[str, PushReceipt]:
        """Receipts of the ids the service has one for (others are not ready yet)."""
        ...

    async def close(self) -> None: ...

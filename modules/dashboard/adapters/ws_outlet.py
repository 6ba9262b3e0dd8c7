"""A Litestar WebSocket as a hub outlet: every send on the socket goes through it, in order.

Pushes come from event handlers, replies from the connection's reader; funnelling both through
one bounded backlog keeps frames whole and in order, and means no producer ever waits on the
network.

The backlog is drained by a task that exists only while frames wait. Most sockets are idle
most of the time, and a task per socket (with its coroutine, and an `asyncio.Queue`'s four
deques) was a fifth of what an idle socket cost: 10,000 sockets must fit in 400 MiB.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from litestar import WebSocket

from modules.dashboard.config import MAX_QUEUED_MESSAGES


class SocketOutlet:
    __slots__ = ("_backlog", "_close", "_closing", "_drain", "_failed", "_max_queued", "_socket")

    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        *,
        on_failure: Callable[[Exception], None],
        max_queued: int = MAX_QUEUED_MESSAGES,
    ) -> None:
        self._socket = socket
        self._max_queued = max_queued
        self._backlog: list[bytes] = []
        self._close: tuple[int, str] | None = None
        self._closing = False
        self._drain: asyncio.Task[None] | None = None
        self._failed = on_failure

    @property
    def closing(self) -> bool:
        """A close is queued: whatever is offered from now on is dropped."""
        return self._closing

    @property
    def sending(self) -> bool:
        """Frames (or the close) are waiting or on their way."""
        return self._drain is not None

    def offer(self, payload: bytes) -> bool:
        if self._closing:
            return True
        if len(self._backlog) >= self._max_queued:
            return False
        self._backlog.append(payload)
        self._start_drain()
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        if len(self._backlog) >= self._max_queued:
            # The backlog is for a client we are giving up on; the close frame matters more.
            self._backlog.clear()
        self._close = (code, reason)
        self._start_drain()

    def discard(self) -> None:
        """The connection is over: drop what is still waiting and stop sending."""
        self._closing = True
        self._backlog.clear()
        if self._drain is not None:
            self._drain.cancel()

    def _start_drain(self) -> None:
        if self._drain is None:
            self._drain = asyncio.get_running_loop().create_task(self._send_backlog())

    async def _send_backlog(self) -> None:
        """Send waiting frames, oldest first, then the close if one is queued.

        A failed send means the connection is going: the server then ends its receive side, so
        the reader stops on its own; the failure is handed to `on_failure` to be counted.
        """
        try:
            while self._backlog:
                frame = self._backlog.pop(0)
                await self._socket.send_data(frame.decode("utf-8"), mode="text")
            if self._close is not None:
                code, reason = self._close
                self._close = None
                await self._socket.close(code=code, reason=reason)
        except Exception as exc:
            self._closing = True
            self._backlog.clear()
            self._failed(exc)
        finally:
            self._drain = None

"""A Litestar WebSocket as a hub outlet: one writer task owns every send on the socket.

Pushes come from event handlers, replies from the connection's reader; funnelling both through
one bounded queue keeps frames whole and in order, and means no producer ever waits on the
network.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import WebSocket

from modules.dashboard.config import MAX_QUEUED_MESSAGES


class _Close:
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class SocketOutlet:
    def __init__(self, socket: WebSocket[Any, Any, Any], *, max_queued: int = MAX_QUEUED_MESSAGES):
        self._socket = socket
        self._queue: asyncio.Queue[bytes | _Close] = asyncio.Queue(maxsize=max_queued)
        self._closing = False

    @property
    def closing(self) -> bool:
        """A close is queued: whatever is offered from now on is dropped."""
        return self._closing

    def offer(self, payload: bytes) -> bool:
        if self._closing:
            return True
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        if self._queue.full():
            # The backlog is for a client we are giving up on; the close frame matters more.
            while not self._queue.empty():
                self._queue.get_nowait()
        self._queue.put_nowait(_Close(code, reason))

    async def run(self) -> None:
        """Send queued frames until a close is queued and sent; raises when the socket fails."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _Close):
                await self._socket.close(code=item.code, reason=item.reason)
                return
            await self._socket.send_data(item.decode("utf-8"), mode="text")

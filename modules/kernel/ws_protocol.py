"""uvicorn's websockets-sansio protocol, holding less for each open socket.

10,000 sockets must fit in 400 MiB. After the handshake, the stock protocol keeps the parsed
handshake request and response (headers as dicts of lists and lists of pairs, about 3 KiB) that
nothing reads again, and waits on an `asyncio.Queue` and an `asyncio.Event`: five deques, about
3.7 KiB, for a queue that one reader drains and an event that is almost always set. This
subclass drops the first and swaps the second for primitives with the same methods and the
same semantics for how uvicorn uses them. `tests/kernel/test_ws_protocol.py` fails if a new
uvicorn stops matching what this relies on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class ReceiveQueue:
    """`put_nowait`, `get` and `empty` of an unbounded FIFO queue, without four deques."""

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getters: list[asyncio.Future[None]] = []

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._wake_one()

    async def get(self) -> Any:
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                self._getters.remove(getter)
                if self._items:
                    self._wake_one()  # the item it was woken for is someone else's now
                raise
            self._getters.remove(getter)
        return self._items.pop(0)

    def _wake_one(self) -> None:
        for getter in self._getters:
            if not getter.done():
                getter.set_result(None)
                return


class WriteGate:
    """`set`, `clear`, `is_set` and `wait` of an event, with no waiters' deque until one waits."""

    __slots__ = ("_open", "_waiters")

    def __init__(self) -> None:
        self._open = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter
        return True


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.queue, asyncio.Queue) or not isinstance(
            self.writable, asyncio.Event
        ):
            raise RuntimeError("uvicorn's websockets-sansio protocol changed: review ws_protocol")
        self.queue = ReceiveQueue()  # type: ignore[assignment]
        gate = WriteGate()
        if not self.writable.is_set():
            gate.clear()
        self.writable = gate  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and getattr(self, "response", None) is not None:
            # The handshake's answer is on the wire: neither it nor the request is read again.
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

"""The socket outlet: frames leave in the order offered, a client that stops reading is bounded,
the close goes last, and an idle socket holds no task."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from modules.dashboard.adapters.ws_outlet import SocketOutlet


class FakeSocket:
    """Records what was sent; `stall()` makes sends wait, as a client that stops reading does."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: list[tuple[int, str]] = []
        self.fail_with: Exception | None = None
        self._open = asyncio.Event()
        self._open.set()

    def stall(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    async def send_data(self, data: str, mode: str = "text") -> None:
        await self._open.wait()
        if self.fail_with is not None:
            raise self.fail_with
        assert mode == "text"
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self._open.wait()
        self.closed.append((code, reason))


def outlet_on(
    socket: FakeSocket, failures: list[Exception] | None = None, max_queued: int = 4
) -> SocketOutlet:
    seen = failures if failures is not None else []
    return SocketOutlet(cast(Any, socket), on_failure=seen.append, max_queued=max_queued)


async def settle(outlet: SocketOutlet) -> None:
    for _ in range(50):
        if not outlet.sending:
            return
        await asyncio.sleep(0)
    raise AssertionError("the outlet never finished sending")


async def test_frames_leave_in_the_order_offered_and_the_close_goes_last() -> None:
    socket = FakeSocket()
    outlet = outlet_on(socket)
    for n in range(3):
        assert outlet.offer(f'{{"n":{n}}}'.encode())
    outlet.close(4401, "unauthorized")
    assert outlet.offer(b'{"late":true}')  # accepted and dropped: the socket is closing
    await settle(outlet)
    assert socket.sent == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert socket.closed == [(4401, "unauthorized")]


async def test_an_idle_outlet_holds_no_task_and_starts_one_for_the_next_frame() -> None:
    socket = FakeSocket()
    outlet = outlet_on(socket)
    assert not outlet.sending
    outlet.offer(b'"a"')
    assert outlet.sending
    await settle(outlet)
    outlet.offer(b'"b"')
    await settle(outlet)
    assert socket.sent == ['"a"', '"b"']


async def test_a_client_that_stops_reading_is_refused_past_the_bound() -> None:
    socket = FakeSocket()
    socket.stall()
    outlet = outlet_on(socket, max_queued=2)
    assert outlet.offer(b"1")
    await asyncio.sleep(0)  # the first frame is on its way, waiting on the client
    assert outlet.offer(b"2")
    assert outlet.offer(b"3")
    assert not outlet.offer(b"4")
    socket.resume()
    await settle(outlet)
    assert socket.sent == ["1", "2", "3"]


async def test_closing_a_full_outlet_drops_the_backlog_but_sends_the_close() -> None:
    socket = FakeSocket()
    socket.stall()
    outlet = outlet_on(socket, max_queued=2)
    for frame in (b"1", b"2", b"3"):
        outlet.offer(frame)
        await asyncio.sleep(0)
    outlet.close(1013, "too slow")
    socket.resume()
    await settle(outlet)
    assert socket.sent == ["1"]  # already on its way when the close came
    assert socket.closed == [(1013, "too slow")]


async def test_a_failed_send_is_reported_once_and_nothing_more_is_sent() -> None:
    socket = FakeSocket()
    socket.fail_with = ConnectionResetError("gone")
    failures: list[Exception] = []
    outlet = outlet_on(socket, failures)
    outlet.offer(b"1")
    outlet.offer(b"2")
    await settle(outlet)
    assert [type(f) for f in failures] == [ConnectionResetError]
    assert outlet.closing
    socket.fail_with = None
    outlet.offer(b"3")
    outlet.close(1000, "bye")
    await settle(outlet)
    assert socket.sent == [] and socket.closed == []


async def test_discarding_stops_a_send_in_progress() -> None:
    socket = FakeSocket()
    socket.stall()
    outlet = outlet_on(socket)
    outlet.offer(b"1")
    outlet.offer(b"2")
    await asyncio.sleep(0)
    outlet.discard()
    socket.resume()
    await settle(outlet)
    assert outlet.offer(b"3")  # accepted and dropped
    await settle(outlet)
    assert socket.sent == []

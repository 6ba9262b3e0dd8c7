"""The lean WebSocket protocol: uvicorn's, holding less per socket, behaving the same.

Its primitives are checked alone, then the protocol on a real uvicorn server with a real client:
frames both ways, a refused handshake, the server's close, and what an open socket still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket as sockets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from litestar import Litestar, WebSocket, websocket
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from modules.kernel.ws_protocol import LeanWebSocketProtocol, ReceiveQueue, WriteGate

# ---- the primitives ---------------------------------------------------------------------------


async def test_the_queue_hands_items_out_in_order_and_a_getter_waits_for_one() -> None:
    queue = ReceiveQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert not queue.empty() and queue.qsize() == 2
    assert [await queue.get(), await queue.get()] == [1, 2]
    assert queue.empty()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait(3)
    assert await asyncio.wait_for(waiting, 1) == 3


async def test_an_item_meant_for_a_cancelled_getter_goes_to_the_next() -> None:
    queue = ReceiveQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")  # wakes the first getter...
    first.cancel()  # ...which goes away before it runs
    assert await asyncio.wait_for(second, 1) == "only"
    assert first.cancelled()


async def test_a_getter_that_times_out_leaves_nothing_behind() -> None:
    queue = ReceiveQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("later")
    assert await asyncio.wait_for(queue.get(), 1) == "later"


async def test_the_gate_holds_writers_while_closed_and_lets_them_all_go_when_set() -> None:
    gate = WriteGate()
    assert gate.is_set() and await gate.wait()
    gate.clear()
    writers = [asyncio.ensure_future(gate.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(writer.done() for writer in writers)
    gate.set()
    assert await asyncio.gather(*writers) == [True, True, True]


FLOOD_FRAMES, FLOOD_FRAME_BYTES = 300, 64 * 1024

# ---- on a real server -------------------------------------------------------------------------


@websocket("/echo")
async def echo(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    while True:
        text = await socket.receive_text()
        if text == "bye":
            await socket.close(code=4000, reason="asked to")
            return
        await socket.send_text(f"echo:{text}")


@websocket("/flood")
async def flood(socket: WebSocket[Any, Any, Any]) -> None:
    """Sends more than the socket buffers hold, so writes must wait for the client to read."""
    await socket.accept()
    for n in range(FLOOD_FRAMES):
        await socket.send_bytes(n.to_bytes(4, "big") + os.urandom(FLOOD_FRAME_BYTES - 4))
    await socket.close(code=4001)


@websocket("/refuse")
async def refuse(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.close(code=1008)


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[str, uvicorn.Server]]:
    listener = sockets.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        Litestar([echo, flood, refuse]),
        ws=LeanWebSocketProtocol,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        listener.close()


async def test_frames_flow_both_ways_and_the_servers_close_reaches_the_client() -> None:
    async with serving() as (url, server):
        async with connect(f"{url}/echo") as client:
            for n in range(50):
                await client.send(f"m{n}")
                assert await asyncio.wait_for(client.recv(), 5) == f"echo:m{n}"
            (protocol,) = server.server_state.connections
            assert isinstance(protocol, LeanWebSocketProtocol)
            # What an open socket holds: no handshake left, the lean queue and gate.
            assert protocol.request is None and protocol.response is None
            assert isinstance(protocol.queue, ReceiveQueue)
            assert isinstance(protocol.writable, WriteGate)
            await client.send("bye")
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000


async def test_a_handshake_the_app_refuses_is_answered_403() -> None:
    async with serving() as (url, _):
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"{url}/refuse")
        assert refused.value.response.status_code == 403


async def test_a_client_that_leaves_ends_the_apps_receive() -> None:
    async with serving() as (url, server):
        client = await connect(f"{url}/echo")
        await client.send("hello")
        await asyncio.wait_for(client.recv(), 5)
        await client.close()
        for _ in range(200):
            if not server.server_state.connections and not server.server_state.tasks:
                break
            await asyncio.sleep(0.01)
        assert not server.server_state.connections and not server.server_state.tasks


async def test_a_client_that_reads_slowly_holds_the_writer_back_and_loses_nothing() -> None:
    async with serving() as (url, server):
        async with connect(f"{url}/flood", max_size=None, max_queue=1) as client:
            await asyncio.sleep(0.5)  # not reading: the server's writes pile up and pause
            (protocol,) = server.server_state.connections
            assert not protocol.writable.is_set()
            received = [await asyncio.wait_for(client.recv(), 5) for _ in range(FLOOD_FRAMES)]
            assert [int.from_bytes(frame[:4], "big") for frame in received] == list(
                range(FLOOD_FRAMES)
            )
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(client.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001

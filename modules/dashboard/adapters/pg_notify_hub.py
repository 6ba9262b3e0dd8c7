"""Push hub across replicas through PostgreSQL's LISTEN/NOTIFY, on the database they share.

The default when several `nija run` processes serve one database and no Redis is configured: a
push reaches the owner's sockets whichever process holds them. Each replica LISTENs on one channel
with a connection of its own (outside the pool: LISTEN is session state) and delivers what it
hears to the sockets it holds; its own pushes come back to it the same way, so the channel keeps
one order for everyone.

Per order it costs little. A push for a user whose sockets are all on this replica (or nowhere)
is delivered here without a round trip; only a user with a socket on another replica costs a
NOTIFY, and those are queued and sent by one task: every push queued within `LINGER_SECONDS` of
the first, or while the last NOTIFY was in flight, goes out in the next single statement
(`pg_notify` over an array). A user's pushes stay in order: while any of their sockets is
elsewhere, all of their pushes take the channel.

Replicas also tell each other whose sockets they hold (a user's first socket here, their last
one gone, and a full list when a replica joins or every `PRESENCE_SECONDS`), so `reachable(user)`
answers for the whole deployment and the read side skips building pushes nobody would receive.
A replica that dies without saying goodbye is forgotten after two presence rounds without a word
from it; until then its users only cost a push that nobody hears.

NOTIFY is at-most-once for a listener that loses its connection (it re-LISTENs and asks for
presence again), and a socket opened elsewhere is known here a few milliseconds later (a push in
between reaches only this replica's sockets); clients cover a gap by re-reading on reconnect, as
with Redis. A payload over
PostgreSQL's 8,000-byte NOTIFY limit goes to this replica's sockets only (counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import asyncpg

from modules.dashboard.adapters.memory_hub import InProcessHub
from modules.dashboard.ports import Outlet
from modules.kernel.db import Database
from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.dashboard.pg_notify")
CHANNEL = "nija_dashboard_push"
PRESENCE_SECONDS = 30.0
# A fill's pushes (order, position, P&L, balance) come from events handled a few milliseconds
# apart: waiting this long after the first sends them in one NOTIFY statement instead of four.
LINGER_SECONDS = 0.01
_LIMIT = 7900  # bytes of a NOTIFY payload, under PostgreSQL's 8,000
_SEP = "\x1f"
_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
# One round trip for a whole queue of pushes; the comment names the module for the statement
# counters (modules/kernel/statements.py).
_NOTIFY = "SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m /* dashboard.push */"


class PostgresHub:
    def __init__(
        self, db: Database, local: InProcessHub, metrics: Metrics, *, channel: str = CHANNEL
    ) -> None:
        self._db = db
        self._local = local
        self._channel = channel
        self.replica = uuid.uuid4().hex[:12]
        self._queue: list[str] = []
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._failures = 0
        # Whose sockets the other replicas hold, and when each was last heard from.
        self._remote: dict[str, set[str]] = {}
        self._heard: dict[str, float] = {}
        self._oversize = metrics.counter(
            "nija_dashboard_push_oversize_total",
            "Pushes too big for a NOTIFY, delivered to this replica's sockets only",
            [],
        )

    # ---- the hub ------------------------------------------------------------------------

    def connect(self, user_id: str, outlet: Outlet) -> None:
        first = self._local.connections(user_id) == 0
        self._local.connect(user_id, outlet)
        if first:
            self._send(f"+{self.replica}{_SEP}{user_id}")

    def disconnect(self, user_id: str, outlet: Outlet) -> None:
        had = self._local.connections(user_id) > 0
        self._local.disconnect(user_id, outlet)
        if had and self._local.connections(user_id) == 0:
            self._send(f"-{self.replica}{_SEP}{user_id}")

    def connections(self, user_id: str) -> int:
        return self._local.connections(user_id)

    def reachable(self, user_id: str) -> bool:
        return self._local.connections(user_id) > 0 or self._held_elsewhere(user_id)

    def _held_elsewhere(self, user_id: str) -> bool:
        return any(user_id in users for users in self._remote.values())

    async def push(self, user_id: str, payload: bytes) -> None:
        if not self._held_elsewhere(user_id):
            # Only this replica's sockets (if any) can hear it: no round trip for it.
            await self._local.push(user_id, payload)
            return
        message = f"p{user_id}{_SEP}{payload.decode()}"
        if len(message.encode()) > _LIMIT:
            self._oversize.inc()
            await self._local.push(user_id, payload)
            return
        self._send(message)

    async def close_all(self, code: int, reason: str) -> None:
        await self._local.close_all(code, reason)

    async def stop(self) -> None:
        # What is still queued (the goodbyes of the sockets just closed) goes out first.
        batch, self._queue = self._queue, []
        if batch:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._notify(batch), 2)
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None

    # ---- sending ----------------------------------------------------------------------

    def _send(self, message: str) -> None:
        self._queue.append(message)
        self._wake.set()
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_loop(), name="dashboard-pg-notify")

    async def _send_loop(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(LINGER_SECONDS)
            self._wake.clear()
            batch, self._queue = self._queue, []
            if batch:
                await self._notify(batch)

    async def _notify(self, batch: list[str]) -> None:
        try:
            async with self._db.connection() as conn:
                await conn.execute(_NOTIFY, self._channel, batch)
        except (OSError, asyncpg.PostgresError):
            # Better that this replica's own sockets still hear it than nobody does.
            log.warning("NOTIFY failed; %d push(es) delivered to this replica only", len(batch))
            for message in batch:
                if message.startswith("p"):
                    await self._deliver(message[1:])

    # ---- the channel the relay worker listens on -------------------------------------

    async def listen(self) -> None:
        assert self._db.url is not None, "database not started"
        conn = await asyncpg.connect(self._db.url)
        lost = asyncio.get_running_loop().create_future()
        conn.add_termination_listener(lambda _: _settle(lost))
        try:
            await conn.add_listener(self._channel, self._heard_message)
            self._subscribed.set()
            self._failures = 0
            self._send(f"?{self.replica}")  # who holds which sockets, from every replica
            while not lost.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(lost), PRESENCE_SECONDS)
                if not lost.done():
                    self._presence_round()
            raise ConnectionError("LISTEN connection lost")
        except Exception:
            self._failures += 1
            raise
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    def retry_delay(self) -> float:
        return _RETRY_SECONDS[min(max(self._failures - 1, 0), len(_RETRY_SECONDS) - 1)]

    async def subscribed(self) -> None:
        await self._subscribed.wait()

    def _presence_round(self) -> None:
        """Forget replicas silent for two rounds, then ask everyone for their lists again."""
        silent_since = time.monotonic() - 2 * PRESENCE_SECONDS
        for replica, heard in list(self._heard.items()):
            if heard < silent_since:
                self._heard.pop(replica, None)
                self._remote.pop(replica, None)
        self._send(f"?{self.replica}")

    def _heard_message(self, _conn: object, _pid: int, _channel: str, message: str) -> None:
        kind, body = message[:1], message[1:]
        if kind == "p":
            asyncio.get_running_loop().create_task(self._deliver(body))
            return
        replica, _, rest = body.partition(_SEP)
        if replica == self.replica:
            return
        self._heard[replica] = time.monotonic()
        if kind == "+":
            self._remote.setdefault(replica, set()).add(rest)
        elif kind == "-":
            self._remote.get(replica, set()).discard(rest)
        elif kind == "=":
            self._remote.setdefault(replica, set()).update(filter(None, rest.split(",")))
        elif kind == "?":
            self._announce()

    def _announce(self) -> None:
        """This replica's users, in NOTIFY-sized chunks."""
        users = list(self._local.users())
        chunk: list[str] = []
        size = 0
        for user in users:
            if size + len(user) + 1 > _LIMIT - 64 and chunk:
                self._send(f"={self.replica}{_SEP}{','.join(chunk)}")
                chunk, size = [], 0
            chunk.append(user)
            size += len(user) + 1
        self._send(f"={self.replica}{_SEP}{','.join(chunk)}")

    async def _deliver(self, body: str) -> None:
        user_id, _, payload = body.partition(_SEP)
        await self._local.push(user_id, payload.encode())


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)

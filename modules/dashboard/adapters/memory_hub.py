"""In-process push hub: each user's live WebSocket connections in this process.

Pushing never waits on a client: a message is queued on each connection, and a connection whose
queue is full (a client that stopped reading) is closed rather than allowed to stall the event
handlers that push.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from modules.dashboard.ports import Outlet
from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.dashboard.hub")
WS_TRY_AGAIN_LATER = 1013


class InProcessHub:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self._outlets: dict[str, set[Outlet]] = defaultdict(set)
        self._gauge = (
            metrics.gauge("nija_ws_connections", "Open authenticated WebSocket connections", [])
            if metrics is not None
            else None
        )

    def connect(self, user_id: str, outlet: Outlet) -> None:
        self._outlets[user_id].add(outlet)
        self._count()

    def disconnect(self, user_id: str, outlet: Outlet) -> None:
        outlets = self._outlets.get(user_id)
        if outlets is None:
            return
        outlets.discard(outlet)
        if not outlets:
            del self._outlets[user_id]
        self._count()

    def connections(self, user_id: str) -> int:
        return len(self._outlets.get(user_id, ()))

    def reachable(self, user_id: str) -> bool:
        return user_id in self._outlets

    def users(self) -> Iterable[str]:
        """Users with at least one socket here."""
        return list(self._outlets)

    async def push(self, user_id: str, payload: bytes) -> None:
        for outlet in list(self._outlets.get(user_id, ())):
            if not outlet.offer(payload):
                log.warning("slow WebSocket client disconnected", extra={"user_id": user_id})
                outlet.close(WS_TRY_AGAIN_LATER, "too slow")
                self.disconnect(user_id, outlet)

    async def close_all(self, code: int, reason: str) -> None:
        for user_id, outlets in list(self._outlets.items()):
            for outlet in list(outlets):
                outlet.close(code, reason)
                self.disconnect(user_id, outlet)

    async def stop(self) -> None:
        """Nothing to release."""

    def _count(self) -> None:
        if self._gauge is not None:
            self._gauge.set(sum(len(o) for o in self._outlets.values()))

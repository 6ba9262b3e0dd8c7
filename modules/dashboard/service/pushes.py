"""Pushes of the screens' read side: built and sent once the fold that caused them commits.

Building a push reads the read model (on its own connection, after the commit, so the fold's
locks are already released), so it is skipped for a user with no socket when every socket is
in this process (the in-process hub); with a shared hub (Redis) another replica may hold it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import msgspec

from modules.dashboard.ports import PushHub
from modules.kernel.metrics import Labelled, Metrics
from modules.kernel.outbox import UnitOfWork

log = logging.getLogger("nija.dashboard.screens")
_encode = msgspec.json.Encoder().encode
Build = Callable[[], Awaitable[list[tuple[str, msgspec.Struct]]]]


class Pusher:
    def __init__(self, hub: PushHub, metrics: Metrics) -> None:
        self._hub = hub
        self._pushes = Labelled(
            metrics.counter(
                "nija_dashboard_screen_pushes_total",
                "WebSocket pushes of the screens' read side, by message type",
                ["type"],
            )
        )

    def listening(self, user_id: str) -> bool:
        """Whether a push to `user_id` could reach a socket at all."""
        return self._hub.reachable(user_id)

    def after_commit(self, uow: UnitOfWork, build: Build) -> None:
        """Run `build` once `uow` commits and push the (user id, message) pairs it returns."""

        async def send() -> None:
            for user_id, message in await build():
                self._pushes.labels(str(type(message).__struct_config__.tag)).inc()
                await self._hub.push(user_id, _encode(message))

        uow.after_commit(send)

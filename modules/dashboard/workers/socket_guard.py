"""Ends this replica's open sockets soon after their token stops being valid.

An access token is checked when a socket authenticates; signing out, a revoked session, a
password change, a suspension or simply the token's expiry must end the socket too, on whichever
replica holds it. A failed round (the state store down, say) is logged and counted by the worker,
and the next one tries again.
"""

from __future__ import annotations

import modules.dashboard.config as config
from modules.dashboard.service.orders import DashboardService
from modules.kernel.metrics import Metrics
from modules.kernel.worker import Worker


class SocketGuard:
    def __init__(self, service: DashboardService, metrics: Metrics) -> None:
        self._worker = Worker(
            "dashboard-socket-guard",
            service.end_dead_sockets,
            period=lambda: config.WS_SESSION_CHECK_SECONDS,
            metrics=metrics,
        )

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

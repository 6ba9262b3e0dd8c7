"""Execution's venue health reports, kept for the admin overview (newest per venue)."""

from __future__ import annotations

from modules.dashboard.domain.admin import VenueBoard, VenueHealth
from modules.execution.contracts import VenueHealthChanged


class VenueReports:
    def __init__(self, board: VenueBoard) -> None:
        self._board = board

    async def on_health(self, event: VenueHealthChanged) -> None:
        self._board.update(
            VenueHealth(
                venue=event.venue,
                breaker_state=event.breaker_state,
                success_rate=event.success_rate,
                queue_depth=event.queue_depth,
                latency_p50_ms=event.latency_p50_ms,
                latency_p99_ms=event.latency_p99_ms,
                as_of=event.occurred_at,
            )
        )

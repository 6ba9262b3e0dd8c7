"""Admins' hold on venues: their health, resetting a breaker, injecting faults into a sim venue.

A fault body also sets the venue's executor knobs (token bucket, timeout, in-flight orders,
breaker cooldown), so failover can be exercised end to end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import msgspec

from modules.execution.domain.sim_market import SimFaults
from modules.execution.domain.venue_stats import VenueLimits
from modules.execution.ports import TakesFaults, Venue
from modules.execution.schemas import VenueFaultsBody, VenueFaultsView, VenueHealthView
from modules.execution.service.market_reports import MarketReports
from modules.kernel.refusal import Kind, Refused

log = logging.getLogger("nija.execution")


class VenueAdmin:
    def __init__(
        self,
        reports: MarketReports,
        limits: Mapping[str, VenueLimits],
        in_flight: Callable[[str], int],
    ) -> None:
        self._reports = reports
        self._venues: Mapping[str, Venue] = reports.venues
        self._breakers = reports.breakers
        self._limits = limits
        # This replica's orders in flight on a venue (its queue workers know).
        self._in_flight = in_flight

    async def venue_health(self) -> list[VenueHealthView]:
        """Fresh health of every venue (also published, as on every tick)."""
        await self._reports.publish_health()
        return [
            VenueHealthView(
                venue=h.venue,
                breaker_state=h.breaker_state,
                success_rate=h.success_rate,
                queue_depth=h.queue_depth,
                in_flight=self._in_flight(h.venue),
                latency_p50_ms=h.latency_p50_ms,
                latency_p99_ms=h.latency_p99_ms,
            )
            for h in (self._reports.health(name) for name in self._venues)
        ]

    async def reset_breaker(self, venue: str) -> VenueHealthView:
        self._known(venue)
        before = self._breakers[venue].last_state
        await self._breakers[venue].reset()
        await self._reports.breaker_moved(venue, before)
        return next(v for v in await self.venue_health() if v.venue == venue)

    def set_faults(self, venue: str, body: VenueFaultsBody) -> VenueFaultsView:
        target = self._known(venue)
        if not isinstance(target, TakesFaults):
            raise Refused(Kind.CONFLICT, "not_simulated", f"{venue} does not take injected faults")
        target.faults = SimFaults(
            error_rate=body.error_rate,
            timeout_rate=body.timeout_rate,
            rate_limit_rate=body.rate_limit_rate,
            lookup_error_rate=body.lookup_error_rate,
        )
        limits = self._limits[venue]
        if body.orders_per_second is not None:
            limits.orders_per_second = body.orders_per_second
        if body.burst is not None:
            limits.burst = body.burst
        if body.place_timeout_seconds is not None:
            limits.place_timeout_seconds = body.place_timeout_seconds
        if body.max_in_flight is not None:
            limits.max_in_flight = body.max_in_flight
        policy = self._breakers[venue].policy
        if body.breaker_cooldown_seconds is not None:
            policy.cooldown_seconds = body.breaker_cooldown_seconds
        log.warning("venue faults set", extra={"venue": venue, "faults": msgspec.to_builtins(body)})
        return VenueFaultsView(
            venue=venue,
            error_rate=body.error_rate,
            timeout_rate=body.timeout_rate,
            rate_limit_rate=body.rate_limit_rate,
            lookup_error_rate=body.lookup_error_rate,
            orders_per_second=limits.orders_per_second,
            burst=limits.burst,
            breaker_cooldown_seconds=policy.cooldown_seconds,
            place_timeout_seconds=limits.place_timeout_seconds,
            max_in_flight=limits.max_in_flight,
        )

    def _known(self, venue: str) -> Venue:
        if venue not in self._venues:
            raise Refused(Kind.NOT_FOUND, "unknown_venue", f"no venue named {venue}")
        return self._venues[venue]

"""Circuit breakers whose state lives in the state port (shared by replicas).

A breaker is a read-modify-write on one key with etag compare-and-swap, retried on a lost race,
so any number of replicas share one breaker per venue. (Venue accounts' token buckets are the
kernel's `TokenBucket`, shared the same way.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

import msgspec

from modules.kernel.ports import EtagMismatch, StateStore

BreakerState = Literal["closed", "open", "half_open"]
Admission = Literal["pass", "probe", "reject"]
_CAS_ATTEMPTS = 20


class BreakerRecord(msgspec.Struct, kw_only=True):
    state: BreakerState = "closed"
    failures: list[float] = msgspec.field(default_factory=list)
    opened_at: float = 0.0
    probe_until: float = 0.0


class BreakerPolicy(msgspec.Struct, kw_only=True):
    failures_to_open: int = 5
    window_seconds: float = 60.0
    cooldown_seconds: float = 30.0
    # A probe that never reports back (its replica died) frees the half-open slot after this.
    probe_timeout_seconds: float = 30.0


class CircuitBreaker:
    """Per venue: opens at N failures within the window, lets one probe through after cooldown."""

    def __init__(
        self,
        store: StateStore,
        venue: str,
        policy: BreakerPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._key = f"breaker:{venue}"
        self.policy = policy
        self._clock = clock
        self.last_state: BreakerState = "closed"

    async def read(self) -> BreakerRecord:
        item = await self._store.get(self._key)
        record = (
            BreakerRecord() if item is None else msgspec.json.decode(item.value, type=BreakerRecord)
        )
        self.last_state = record.state
        return record

    async def admit(self) -> Admission:
        def step(record: BreakerRecord, now: float) -> str:
            if record.state == "closed":
                return "pass"
            if record.state == "open" and now < record.opened_at + self.policy.cooldown_seconds:
                return "reject"
            if record.state == "half_open" and now < record.probe_until:
                return "reject"
            record.state = "half_open"
            record.probe_until = now + self.policy.probe_timeout_seconds
            return "probe"

        verdict = await self._update(step, write_when=("probe",))
        return "probe" if verdict == "probe" else "pass" if verdict == "pass" else "reject"

    async def success(self, probe: bool) -> None:
        if not probe and self.last_state == "closed":
            return

        def step(record: BreakerRecord, now: float) -> str:
            if record.state == "half_open" and probe:
                record.state, record.failures = "closed", []
                return "write"
            return "skip"

        await self._update(step, write_when=("write",))

    async def failure(self, probe: bool) -> None:
        def step(record: BreakerRecord, now: float) -> str:
            if probe or record.state == "half_open":
                record.state, record.opened_at, record.failures = "open", now, []
                return "write"
            if record.state == "open":
                return "skip"
            horizon = now - self.policy.window_seconds
            record.failures = [t for t in record.failures if t > horizon] + [now]
            if len(record.failures) >= self.policy.failures_to_open:
                record.state, record.opened_at, record.failures = "open", now, []
            return "write"

        await self._update(step, write_when=("write",))

    async def reset(self) -> None:
        await self._store.save(self._key, msgspec.json.encode(BreakerRecord()))
        self.last_state = "closed"

    async def _update(
        self, step: Callable[[BreakerRecord, float], str], write_when: tuple[str, ...]
    ) -> str:
        for _ in range(_CAS_ATTEMPTS):
            item = await self._store.get(self._key)
            record = (
                BreakerRecord()
                if item is None
                else msgspec.json.decode(item.value, type=BreakerRecord)
            )
            verdict = step(record, self._clock())
            if verdict not in write_when:
                self.last_state = record.state
                return verdict
            try:
                await self._store.save(
                    self._key,
                    msgspec.json.encode(record),
                    etag=None if item is None else item.etag,
                    create_only=item is None,
                )
            except EtagMismatch:
                await asyncio.sleep(0)
                continue
            self.last_state = record.state
            return verdict
        raise RuntimeError(f"{self._key}: too much contention")

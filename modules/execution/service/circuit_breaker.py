"""Circuit breakers whose state lives in the state port, so every replica shares one per venue.

The transitions are pure (domain/breaker.py); here each is a read-modify-write on one key with
etag compare-and-swap, retried on a lost race. (Venue accounts' token buckets are the kernel's
`TokenBucket`, shared the same way.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import msgspec

from modules.execution.domain.breaker import (
    Admission,
    BreakerPolicy,
    BreakerRecord,
    BreakerState,
    admit,
    failed,
    succeeded,
)
from modules.kernel.ports import EtagMismatch, StateStore

_CAS_ATTEMPTS = 20
# A transition: the verdict, and the record to write (None: nothing changes).
Step = Callable[[BreakerRecord, float], tuple[str, BreakerRecord | None]]


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
        # This replica's last view of the state (for health reports and breaker metrics).
        self.last_state: BreakerState = "closed"

    async def read(self) -> BreakerRecord:
        item = await self._store.get(self._key)
        record = (
            BreakerRecord() if item is None else msgspec.json.decode(item.value, type=BreakerRecord)
        )
        self.last_state = record.state
        return record

    async def admit(self) -> Admission:
        verdict = await self._update(lambda record, now: admit(record, self.policy, now))
        return "probe" if verdict == "probe" else "pass" if verdict == "pass" else "reject"

    async def success(self, probe: bool) -> None:
        if not probe and self.last_state == "closed":
            return
        await self._update(lambda record, now: ("", succeeded(record, probe=probe)))

    async def failure(self, probe: bool) -> None:
        await self._update(lambda record, now: ("", failed(record, self.policy, now, probe=probe)))

    async def reset(self) -> None:
        await self._store.save(self._key, msgspec.json.encode(BreakerRecord()))
        self.last_state = "closed"

    async def _update(self, step: Step) -> str:
        for _ in range(_CAS_ATTEMPTS):
            item = await self._store.get(self._key)
            record = (
                BreakerRecord()
                if item is None
                else msgspec.json.decode(item.value, type=BreakerRecord)
            )
            verdict, changed = step(record, self._clock())
            if changed is None:
                self.last_state = record.state
                return verdict
            try:
                await self._store.save(
                    self._key,
                    msgspec.json.encode(changed),
                    etag=None if item is None else item.etag,
                    create_only=item is None,
                )
            except EtagMismatch:
                await asyncio.sleep(0)
                continue
            self.last_state = changed.state
            return verdict
        raise RuntimeError(f"{self._key}: too much contention")

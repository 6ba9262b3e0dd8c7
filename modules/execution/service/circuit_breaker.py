"""Circuit breakers whose state lives in the state port, so every replica shares one per venue.

The transitions are pure (domain/breaker.py); here each is a read-modify-write on one key with
etag compare-and-swap, retried on a lost race. (Venue accounts' token buckets are the kernel's
`TokenBucket`, shared the same way.)

Admitting an order to a closed breaker writes nothing, so it need not read either while this
replica's view is fresh: a closed state read within `FRESH_SECONDS` admits from memory. A
breaker another replica opened therefore stops this replica's orders within `FRESH_SECONDS`
(a few more orders reach a failing venue, each answered as any failure is); this replica's own
failures, probes and resets change its view at once.
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
FRESH_SECONDS = 0.25
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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._key = f"breaker:{venue}"
        self.policy = policy
        self._clock = clock
        self._monotonic = monotonic
        # This replica's last view of the state (for health reports and breaker metrics), and
        # when it was read.
        self.last_state: BreakerState = "closed"
        self._seen_at = float("-inf")

    async def read(self) -> BreakerRecord:
        item = await self._store.get(self._key)
        record = (
            BreakerRecord() if item is None else msgspec.json.decode(item.value, type=BreakerRecord)
        )
        self._seen(record.state)
        return record

    async def admit(self) -> Admission:
        if self.last_state == "closed" and self._monotonic() - self._seen_at < FRESH_SECONDS:
            return "pass"
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
        self._seen("closed")

    def _seen(self, state: BreakerState) -> None:
        self.last_state = state
        self._seen_at = self._monotonic()

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
                self._seen(record.state)
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
            self._seen(changed.state)
            return verdict
        raise RuntimeError(f"{self._key}: too much contention")

"""The order path's shared group commit without a database: what it batches, how long a
balance report lingers, and that one bad event fails only its own delivery."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Any

from modules.dashboard.service.group_commit import SharedGroupCommit
from modules.execution.contracts import BalanceChanged
from modules.kernel.events import IntegrationEvent
from tests.dashboard.helpers import accepted, routed
from tests.dashboard.screens import T0, balance

LINGER = 0.2


class _Inbox:
    """The inbox statement's answer: the ids not seen before (by any committed batch)."""

    def __init__(self) -> None:
        self.committed: set[str] = set()
        self.batches: list[list[IntegrationEvent]] = []

    async def fetch(self, _sql: str, ids: list[str], _name: str, _topics: list[str]) -> list[Any]:
        return [{"event_id": i} for i in dict.fromkeys(ids) if i not in self.committed]


class _UnitOfWork:
    def __init__(self, inbox: _Inbox) -> None:
        self.conn = inbox
        self._inbox = inbox
        self.seen: list[str] = []

    async def __aenter__(self) -> _UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self._inbox.committed.update(self.seen)


def _committer(inbox: _Inbox, *, fail_on: str | None = None) -> SharedGroupCommit:
    current: list[_UnitOfWork] = []

    def unit_of_work() -> Any:
        current.append(_UnitOfWork(inbox))
        return current[-1]

    async def fold(events: list[IntegrationEvent], _uow: Any) -> None:
        if any(e.event_id == fail_on for e in events):
            raise RuntimeError("a bad event")
        inbox.batches.append(events)
        current[-1].seen += [e.event_id for e in events]

    return SharedGroupCommit(
        name="test.order-path",
        fold=fold,
        unit_of_work=unit_of_work,
        lingering=(BalanceChanged,),
        linger=LINGER,
    )


def _report(equity: str = "100") -> BalanceChanged:
    return balance("u1", "kraken", equity, T0)


async def test_events_delivered_together_are_one_batch_and_a_duplicate_folds_once() -> None:
    inbox = _Inbox()
    batch = _committer(inbox)
    order = routed("u1")
    events: list[IntegrationEvent] = [order, accepted(order), order]

    await asyncio.gather(*(batch.deliver(e) for e in events))
    await asyncio.gather(*(batch.deliver(e) for e in events))  # redelivered

    assert [[e.event_id for e in b] for b in inbox.batches] == [
        [order.event_id, events[1].event_id]
    ]


async def test_a_balance_report_waits_for_company_and_an_order_event_takes_it_along() -> None:
    inbox = _Inbox()
    batch = _committer(inbox)
    alone = asyncio.create_task(batch.deliver(_report()))
    await asyncio.sleep(LINGER / 4)
    assert not inbox.batches  # still lingering
    started = time.monotonic()
    await batch.deliver(routed("u1"))
    await alone

    assert time.monotonic() - started < LINGER / 2  # the order's event did not wait
    assert [len(b) for b in inbox.batches] == [2]


async def test_balance_reports_alone_are_written_after_the_linger() -> None:
    inbox = _Inbox()
    batch = _committer(inbox)
    started = time.monotonic()
    first = asyncio.create_task(batch.deliver(_report("100")))
    await asyncio.sleep(LINGER / 4)
    await asyncio.gather(first, batch.deliver(_report("101")))

    assert time.monotonic() - started >= LINGER * 0.9
    assert [len(b) for b in inbox.batches] == [2]


async def test_a_bad_event_fails_its_own_delivery_only() -> None:
    inbox = _Inbox()
    good, bad = routed("u1"), routed("u1")
    batch = _committer(inbox, fail_on=bad.event_id)

    outcomes = await asyncio.gather(batch.deliver(good), batch.deliver(bad), return_exceptions=True)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], RuntimeError)
    assert inbox.committed == {good.event_id}

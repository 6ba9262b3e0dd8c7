"""The breaker's state machine: no store, no clock, `now` passed in."""

from __future__ import annotations

import pytest

from modules.execution.domain.breaker import (
    BreakerPolicy,
    BreakerRecord,
    admit,
    failed,
    succeeded,
)

POLICY = BreakerPolicy(
    failures_to_open=3, window_seconds=10.0, cooldown_seconds=5.0, probe_timeout_seconds=2.0
)


def _fail(record: BreakerRecord, now: float, *, probe: bool = False) -> BreakerRecord:
    changed = failed(record, POLICY, now, probe=probe)
    assert changed is not None
    return changed


def _opened_at(now: float) -> BreakerRecord:
    return BreakerRecord(state="open", opened_at=now)


def test_a_closed_breaker_lets_everything_pass_without_a_write() -> None:
    assert admit(BreakerRecord(), POLICY, 100.0) == ("pass", None)


def test_failures_below_the_threshold_are_counted_but_keep_it_closed() -> None:
    record = _fail(_fail(BreakerRecord(), 1.0), 2.0)
    assert record.state == "closed"
    assert record.failures == (1.0, 2.0)


def test_the_nth_failure_within_the_window_opens_it_and_forgets_the_count() -> None:
    record = _fail(_fail(_fail(BreakerRecord(), 1.0), 2.0), 3.0)
    assert record.state == "open"
    assert record.opened_at == 3.0
    assert record.failures == ()


def test_failures_older_than_the_window_do_not_count() -> None:
    record = _fail(_fail(BreakerRecord(), 0.0), 5.0)
    # At 10.0 the failure at 0.0 sits exactly on the window's edge: it has expired.
    record = _fail(record, 10.0)
    assert record.state == "closed"
    assert record.failures == (5.0, 10.0)


def test_an_open_breaker_rejects_until_the_cooldown_has_passed() -> None:
    record = _opened_at(100.0)
    assert admit(record, POLICY, 104.999) == ("reject", None)
    verdict, probing = admit(record, POLICY, 105.0)
    assert verdict == "probe"
    assert probing is not None
    assert probing.state == "half_open"
    assert probing.probe_until == 107.0


def test_half_open_admits_no_second_probe_until_the_first_times_out() -> None:
    _, probing = admit(_opened_at(0.0), POLICY, 5.0)
    assert probing is not None
    assert admit(probing, POLICY, 6.999) == ("reject", None)
    verdict, again = admit(probing, POLICY, 7.0)  # the probe's replica never reported back
    assert verdict == "probe"
    assert again is not None and again.probe_until == 9.0


def test_the_probes_success_closes_the_breaker() -> None:
    half_open = BreakerRecord(state="half_open", failures=(1.0,), probe_until=9.0)
    closed = succeeded(half_open, probe=True)
    assert closed is not None
    assert closed.state == "closed"
    assert closed.failures == ()


@pytest.mark.parametrize(
    ("record", "probe"),
    [
        (BreakerRecord(), False),
        (BreakerRecord(), True),
        (BreakerRecord(state="half_open"), False),  # not the probe: it says nothing
        (BreakerRecord(state="open", opened_at=1.0), True),
    ],
)
def test_other_successes_change_nothing(record: BreakerRecord, probe: bool) -> None:
    assert succeeded(record, probe=probe) is None


def test_the_probes_failure_opens_it_again_from_now() -> None:
    reopened = _fail(BreakerRecord(state="half_open", probe_until=9.0), 8.0, probe=True)
    assert reopened.state == "open"
    assert reopened.opened_at == 8.0
    assert admit(reopened, POLICY, 12.9)[0] == "reject"


def test_any_failure_while_half_open_reopens_it() -> None:
    reopened = _fail(BreakerRecord(state="half_open"), 4.0)
    assert reopened.state == "open" and reopened.opened_at == 4.0


def test_failures_while_open_do_not_extend_the_cooldown() -> None:
    assert failed(_opened_at(100.0), POLICY, 101.0, probe=False) is None


def test_a_probe_reported_as_such_opens_even_a_closed_record() -> None:
    # Another replica may have closed it meanwhile; the probe's failure still counts as a trip.
    record = _fail(BreakerRecord(), 3.0, probe=True)
    assert record.state == "open" and record.opened_at == 3.0

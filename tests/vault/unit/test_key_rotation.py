"""When the transit key is due for rotation, how often to ask, and which keys are rewrapped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modules.vault.domain.key_rotation import check_period, rotation_due, wrapped_under

NOW = datetime(2026, 5, 1, tzinfo=UTC)
DAY = 86_400.0


def test_a_key_never_rotated_is_due() -> None:
    assert rotation_due(None, NOW, DAY)


def test_due_exactly_when_the_interval_has_passed() -> None:
    assert not rotation_due(NOW - timedelta(seconds=DAY - 0.001), NOW, DAY)
    assert rotation_due(NOW - timedelta(seconds=DAY), NOW, DAY)
    assert rotation_due(NOW - timedelta(days=3), NOW, DAY)
    assert not rotation_due(NOW + timedelta(seconds=5), NOW, DAY)  # a clock that went back


def test_the_check_period_is_a_quarter_interval_within_bounds() -> None:
    assert check_period(400.0) == 100.0
    assert check_period(30 * DAY) == 3600.0  # at most hourly
    assert check_period(0.1) == 0.05  # never a busy loop
    assert check_period(0.2) == 0.05


def test_keys_already_under_the_new_version_are_left_alone() -> None:
    assert wrapped_under("vault:v3:abcd", 3)
    assert not wrapped_under("vault:v2:abcd", 3)
    assert not wrapped_under("vault:v31:abcd", 3)  # the prefix includes the colon
    assert not wrapped_under("v3:abcd", 3)

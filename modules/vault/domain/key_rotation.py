"""When the transit key is due for rotation, and which data keys a rotation still has to rewrap."""

from __future__ import annotations

from datetime import datetime


def rotation_due(last_rotated_at: datetime | None, now: datetime, interval_seconds: float) -> bool:
    """Due when it never happened, or the last rotation is at least `interval_seconds` old."""
    return last_rotated_at is None or (now - last_rotated_at).total_seconds() >= interval_seconds


def check_period(interval_seconds: float) -> float:
    """How often to ask whether a rotation is due: a few times per interval (so a restart does
    not push rotation back a full period), at most hourly, and never in a busy loop."""
    return max(min(interval_seconds / 4, 3600.0), 0.05)


def wrapped_under(wrapped_data_key: str, version: int) -> bool:
    """True when a wrapped data key already uses transit key `version` (`vault:vN:` prefix)."""
    return wrapped_data_key.startswith(f"vault:v{version}:")

"""Days where the trader lives: an instant's local day, when a local day begins, and the days of
a period. The database cuts days the same way (`instant AT TIME ZONE zone`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

Period = Literal["today", "7d", "30d", "90d", "all"]
_LENGTH: dict[str, int] = {"today": 1, "7d": 7, "30d": 30, "90d": 90}


def local_day(instant: datetime, zone: tzinfo) -> date:
    return instant.astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """The UTC instant `day` begins in `zone`.

    Where a clock change skips midnight, the day begins at the first local time that exists,
    which is the instant the offset before the change names (PEP 495's fold=0 reading).
    """
    local = datetime(day.year, day.month, day.day, tzinfo=zone)
    return local.astimezone(UTC)


def first_day(period: Period, today: date, earliest: date | None) -> date:
    """The first local day of `period` ending today; `all` starts on the earliest day with data
    (today when there is none)."""
    if period == "all":
        return min(earliest, today) if earliest is not None else today
    return today - timedelta(days=_LENGTH[period] - 1)


def days(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included (none when `last` is before `first`)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]

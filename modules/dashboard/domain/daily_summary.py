"""When a user's daily summary is due, and which local day an event counts for.

A day is the user's own: it starts at midnight in their time zone. The summary of a day goes out
once, at the first look at or after the time they chose that day (so a replica that was down at
that minute sends it when it is back, the same day), never for a day already summarised.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

HHMM = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")


def parse_hhmm(text: str) -> time:
    """ "07:30" as a time; ValueError for anything else."""
    if not HHMM.fullmatch(text):
        raise ValueError(f"not a time of day HH:MM: {text!r}")
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local_day(at: datetime, zone: tzinfo) -> date:
    """The date in `zone` at instant `at` (timezone-aware)."""
    return at.astimezone(zone).date()


def summary_due(now: datetime, zone: tzinfo, at: str, last_sent: date | None) -> date | None:
    """The local day whose summary is due now, or None.

    Due once the local wall clock has reached `at` on a day not yet summarised. On the day a
    clock springs forward over `at` (02:30 that never happens) it is due at the first minute
    after the gap; on the day it falls back, `at` happens twice but the day is summarised once.
    """
    local = now.astimezone(zone)
    if local.time().replace(tzinfo=None) < parse_hhmm(at):
        return None
    today = local.date()
    if last_sent is not None and last_sent >= today:
        return None
    return today

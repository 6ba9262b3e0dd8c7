"""A position's price chart: which window a range shows, which bars draw it, and how they are
thinned to what a phone screen can show.

The chart draws each bar's close. Ranges look back from the position's close (or now while it
is open); `ALL` spans the position's life. A window without bars moves back to where the bars
end (`anchored`). The bars are the finest timeframe the venues publish
that covers the window in at most `MAX_BARS`, and are thinned to at most `MAX_POINTS` with
Largest-Triangle-Three-Buckets (Steinarsson 2013), which keeps the peaks and troughs a plain
every-n-th sample would drop; the first and last bars are always kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

ChartRange = Literal["1H", "4H", "1D", "1W", "1M", "ALL"]
RANGES: dict[str, timedelta | None] = {
    "1H": timedelta(hours=1),
    "4H": timedelta(hours=4),
    "1D": timedelta(days=1),
    "1W": timedelta(weeks=1),
    "1M": timedelta(days=30),
    "ALL": None,
}
TIMEFRAMES: tuple[tuple[str, timedelta], ...] = (
    ("1m", timedelta(minutes=1)),
    ("5m", timedelta(minutes=5)),
    ("15m", timedelta(minutes=15)),
    ("1h", timedelta(hours=1)),
)
MAX_POINTS = 300
MAX_BARS = 1000
# `ALL` of a position younger than this still shows an hour, so a new one has a chart.
_SHORTEST = timedelta(hours=1)

Point = tuple[datetime, Decimal]


def window(
    chart_range: str, opened_at: datetime, closed_at: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[start, end) of the chart: `range` back from the close (or now); ALL from the opening."""
    end = closed_at or now
    length = RANGES[chart_range]
    if length is None:
        return min(opened_at, end - _SHORTEST), end
    return end - length, end


def anchored(
    start: datetime, end: datetime, latest_bar: datetime | None
) -> tuple[datetime, datetime] | None:
    """The window moved back to end where the market's bars end, when none fall inside it.

    A simulated market running faster than real time keeps its own clock (it starts at
    2024-01-01), so a window on the wall clock finds none of its bars; a real venue whose feed
    stopped leaves an empty window too. Either way the trader sees the latest prices there are
    rather than an empty plot. None when there is no bar before `end` at all.
    """
    if latest_bar is None:
        return None
    shift = end - (latest_bar + TIMEFRAMES[0][1])
    return start - shift, end - shift


def timeframes(start: datetime, end: datetime) -> list[str]:
    """Timeframes to draw [start, end) with, best first: the finest that fits in `MAX_BARS`
    bars, then the coarser ones (for when the finer bars are not there)."""
    span = end - start
    fitting = [name for name, length in TIMEFRAMES if span / length <= MAX_BARS]
    return fitting or [TIMEFRAMES[-1][0]]


def _area(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return abs((a[0] - c[0]) * (b[1] - a[1]) - (a[0] - b[0]) * (c[1] - a[1])) / 2


def downsample(points: Sequence[Point], limit: int = MAX_POINTS) -> list[Point]:
    """At most `limit` of `points` (time-ordered), chosen by Largest-Triangle-Three-Buckets:
    the first and last kept, and from each of `limit - 2` equal buckets between them the point
    making the largest triangle with the one kept before it and the next bucket's average."""
    count = len(points)
    if count <= limit:
        return list(points)
    if limit < 3:
        return [points[0], points[-1]][:limit]
    xy = [(p[0].timestamp(), float(p[1])) for p in points]
    every = (count - 2) / (limit - 2)
    kept = [0]
    for bucket in range(limit - 2):
        ahead_from = int((bucket + 1) * every) + 1
        ahead_to = min(max(int((bucket + 2) * every) + 1, ahead_from + 1), count)
        ahead = xy[ahead_from:ahead_to]
        average = (sum(x for x, _ in ahead) / len(ahead), sum(y for _, y in ahead) / len(ahead))
        anchor = xy[kept[-1]]
        candidates = range(int(bucket * every) + 1, int((bucket + 1) * every) + 1)
        kept.append(max(candidates, key=lambda i: _area(anchor, xy[i], average)))
    kept.append(count - 1)
    return [points[i] for i in kept]


def prune_before(keep_days: dict[str, int], now: datetime) -> dict[str, datetime]:
    """For each timeframe kept for a while, the start before which its bars may go."""
    return {timeframe: now - timedelta(days=days) for timeframe, days in keep_days.items()}

"""Query parameters the screens share, each bounded as the OpenAPI says."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from litestar.openapi.spec import OpenAPIFormat
from litestar.params import QueryParameter

from modules.kernel.bounds import ID_PATTERN, TIMESTAMP_PATTERN, parse_timestamp
from modules.kernel.errors import ProblemError

_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SYMBOL_PATTERN = r"^[A-Za-z0-9]{1,15}[/-][A-Za-z0-9]{1,15}$"

Venue = Annotated[
    str | None,
    QueryParameter(max_length=32, pattern=ID_PATTERN, description="Only this venue's"),
]
Symbol = Annotated[
    str | None,
    QueryParameter(max_length=32, pattern=SYMBOL_PATTERN, description="Only this pair's (BTC/USD)"),
]
PnlSign = Annotated[
    Literal["positive", "negative"] | None,
    QueryParameter(name="pnl", description="Only those that made (or lost) money"),
]
Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]{1,200}$",
        description="`next_cursor` of the previous page",
    ),
]
Cycle = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=2_147_483_647,
        description="Which of the venue and symbol's positions (default: the latest)",
    ),
]


def _timestamp(name: str, what: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=what,
        format=OpenAPIFormat.DATE_TIME,
        pattern=TIMESTAMP_PATTERN,
        max_length=32,
    )


From = Annotated[str | None, _timestamp("from", "At or after this time (RFC 3339)")]
To = Annotated[str | None, _timestamp("to", "Before this time (RFC 3339)")]


def _day(name: str, what: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=what,
        format=OpenAPIFormat.DATE,
        pattern=_DATE_PATTERN,
        max_length=10,
    )


FromDay = Annotated[str | None, _day("from", "First day, in your time zone (default: 29 days ago)")]
ToDay = Annotated[str | None, _day("to", "Last day, in your time zone (default: today)")]


def timestamp(name: str, value: str | None) -> datetime | None:
    return parse_timestamp(name, value)


def day(name: str, value: str | None) -> date | None:
    """A date query parameter that matched its pattern; a 400 problem for one that is not a
    day of the calendar (February 30th)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ProblemError(
            400,
            "invalid_request",
            f"{name} is not a valid date (YYYY-MM-DD)",
            errors=[{"key": name, "message": "not a valid date", "source": "query"}],
        ) from None

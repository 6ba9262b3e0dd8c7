"""What a request's strings and amounts may be, stated in the schemas themselves.

Every string a client sends is bounded in length and in characters, and every amount in
spelling and range, by the msgspec `Meta` of its field, so the same bound is enforced on decoding
and documented in the OpenAPI (where schemathesis and client generators read it). The JSON body
guard (`modules.kernel.json_body`) checks the characters and spellings first, to answer them with
a problem naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar.openapi.spec import OpenAPIFormat
from litestar.params import PathParameter, QueryParameter
from msgspec import Meta

from modules.kernel.errors import ProblemError
from modules.kernel.json_body import MULTILINE

# No control character (C0 or DEL), as the body guard refuses them; a multi-line field (a PEM
# key) may also hold line breaks and tabs.
SINGLE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# What an id we issued looks like (UUIDs, hex tokens), so a lookup never carries anything else.
ID_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_ID_LENGTH = 64

# An amount as a string: plain digits, no sign or leading zero, at most one dot, above zero and
# at most a billion (routing's cap). How many decimals an amount may have is a rule of what it
# measures, refused with 422 where it applies.
POSITIVE_AMOUNT_PATTERN = (
    r"^(?:[1-9][0-9]{0,8}(?:\.[0-9]+)?|1000000000(?:\.0+)?|0\.[0-9]*[1-9][0-9]*)$"
)
MAX_AMOUNT = 1_000_000_000
MAX_AMOUNT_LENGTH = 32


def text(max_length: int, *, min_length: int = 0, multiline: bool = False, **meta: Any) -> Meta:
    """A text field: at most `max_length` characters, none of them a control character."""
    if multiline:
        extra = {**meta.pop("extra_json_schema", {}), **MULTILINE}
        meta["extra_json_schema"] = extra
    return Meta(
        min_length=min_length,
        max_length=max_length,
        pattern=MULTI_LINE if multiline else SINGLE_LINE,
        **meta,
    )


def identifier(**meta: Any) -> Meta:
    """An id the platform issued (a UUID, a challenge id), taken as an opaque string."""
    return Meta(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN, **meta)


def positive_amount(description: str, *, nullable: bool = False, **meta: Any) -> Meta:
    """A positive amount: a plain decimal string, or a JSON number, as the OpenAPI says.

    msgspec documents a Decimal as a bare string; the schema here is the one the server keeps
    (`modules.kernel.json_body` refuses loose spellings, the field's rule the rest). A
    `nullable` amount also takes null, stated in the same schema (not as a `oneOf`).
    """
    schema: dict[str, Any] = {
        "type": ["string", "number", "null"] if nullable else ["string", "number"],
        "pattern": POSITIVE_AMOUNT_PATTERN,
        "max_length": MAX_AMOUNT_LENGTH,
        "exclusive_minimum": 0,
        "maximum": MAX_AMOUNT,
    }
    if nullable:
        schema["one_of"] = None
    return Meta(description=description, extra_json_schema={"extra": schema}, **meta)


# RFC 3339, as the OpenAPI's `date-time` format says; Litestar would also read a bare number as
# Unix seconds (`until=0.5`), which no client means.
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def timestamp_query(description: str) -> Any:
    """A query parameter holding an RFC 3339 timestamp (read it with `parse_timestamp`)."""
    return QueryParameter(
        description=description,
        format=OpenAPIFormat.DATE_TIME,
        pattern=TIMESTAMP_PATTERN,
        max_length=32,
    )


def parse_timestamp(name: str, value: str | None) -> datetime | None:
    """The timestamp of a query parameter that matched `TIMESTAMP_PATTERN`; a 400 problem for
    one that only looks like a timestamp (February 30th)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise ProblemError(
            400,
            "invalid_request",
            f"{name} is not a valid RFC 3339 timestamp",
            errors=[{"key": name, "message": "not a valid timestamp", "source": "query"}],
        ) from None


# A path segment naming one of the platform's resources by an id it issued (or a venue's name).
IdPath = Annotated[str, PathParameter(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]

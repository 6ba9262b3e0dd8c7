"""What a JSON body must be before a handler decodes it, checked once for every route.

Litestar decodes any body its handler asks for; these checks run first (as a guard, after
authentication) and answer with problems a client can act on: 415 for another media type, 422
naming the field for a control character in any string or a loosely spelt amount.
"""

from __future__ import annotations

import contextlib
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, get_args, get_origin

import msgspec
import msgspec.inspect
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler

from modules.kernel.errors import ProblemError


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def json_body_guard(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """A route that reads a JSON body refuses any other media type with 415.

    Litestar would decode JSON sent as text/plain or a form just the same; answering 415 tells a
    misconfigured client (or a cross-site form post, which cannot send application/json) what
    is wrong instead of acting on it.
    """
    if connection.scope["type"] != ScopeType.HTTP:
        return
    if "data" not in route_handler.parsed_fn_signature.parameters:
        return
    content_type = connection.headers.get("content-type", "")
    if not _is_json(content_type):
        raise ProblemError(
            415,
            "unsupported_media_type",
            "Send the body as JSON with 'Content-Type: application/json'",
        )
    if isinstance(connection, Request):
        # Read once here; Litestar keeps the body for the handler's own decoding.
        body_type = _body_type(route_handler)
        if body_type is None:
            return
        multiline, decimals, scalars = _fields_of(body_type)
        body = await connection.body()
        _check_body(body, multiline, decimals)
        if scalars:
            _check_scalars(body, body_type)


# JSON carries a control character only escaped (`\u0000`-`\u001f`, `\n`, ...), except DEL,
# which may also come raw.
_ESCAPED_CONTROL = re.compile(rb"\\(?:u00[01][0-9a-fA-F]|u007[fF]|[bfnrt])|\x7f")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# A schema marks a text field that may span lines (a PEM key): `bounds.text(..., multiline=True)`.
MULTILINE = {"x-multiline": True}
_LINE_BREAKS = re.compile(r"[\r\n\t]")


def _body_type(route_handler: BaseRouteHandler) -> type | None:
    body_type = route_handler.parsed_fn_signature.parameters["data"].annotation
    while get_origin(body_type) is Annotated:
        body_type = get_args(body_type)[0]  # JSONBody[X] is Annotated[X, Body(...)]
    return body_type if isinstance(body_type, type) else None


@functools.cache
def _fields_of(body_type: type) -> tuple[frozenset[str], frozenset[str], bool]:
    """(multi-line text fields, decimal fields) of a body Struct, by their JSON names, and
    whether it has a boolean or numeric field."""
    multiline: set[str] = set()
    decimals: set[str] = set()
    scalars = False
    with contextlib.suppress(TypeError, ValueError):
        info = msgspec.inspect.type_info(body_type)
        if isinstance(info, msgspec.inspect.StructType):
            for field in info.fields:
                extra = getattr(field.type, "extra_json_schema", None) or {}
                if extra.get("x-multiline"):
                    multiline.add(f"$.{field.encode_name}")
                if _is_a(field.type, msgspec.inspect.DecimalType):
                    decimals.add(field.encode_name)
                scalars = scalars or _is_a(field.type, _SCALARS)
    return frozenset(multiline), frozenset(decimals), scalars


_SCALARS = (msgspec.inspect.BoolType, msgspec.inspect.IntType, msgspec.inspect.FloatType)


def _is_a(kind: msgspec.inspect.Type, types: type | tuple[type, ...]) -> bool:
    if isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_a(member, types) for member in kind.types)
    return isinstance(kind, types)


def _check_scalars(body: bytes, body_type: type) -> None:
    """Refuse a boolean or number sent as something else (`"active": 0`, `"burst": "5"`).

    Litestar converts a body leniently, as it must a query string, so it would read 0 as false
    and "5" as 5, which the OpenAPI does not allow; the body is decoded strictly here instead.
    """
    try:
        msgspec.convert(_INTEGRAL_FLOATS_AS_INTS.decode(body), body_type, strict=True)
    except msgspec.ValidationError as invalid:
        raise ProblemError(
            400,
            "invalid_request",
            f"Validation failed: {invalid}",
            errors=[{"message": str(invalid), "source": "body"}],
        ) from None
    except (msgspec.DecodeError, RecursionError):
        return  # malformed: the handler's own decoding answers 400


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


# JSON Schema counts 359.0 as an integer, as the OpenAPI's `integer` says; strict decoding
# would not, so integral numbers are read as ints for the check.
_INTEGRAL_FLOATS_AS_INTS = msgspec.json.Decoder(float_hook=_number)


# An amount is spelt with ASCII digits, at most one dot, an optional minus and no leading zero.
# Python's Decimal would also read spaces, underscores, exponents, a plus sign, leading zeros and
# other scripts' digits: those are refused here. What is not a number at all, or out of range,
# is the schema's to refuse.
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# JSON numbers are read as their text, so 1e3 or 0.1000000000000000055 are seen as written.
_NUMBERS_AS_TEXT = msgspec.json.Decoder(float_hook=str)


def _loosely_spelt(value: str) -> bool:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False  # not a number: the schema answers
    return number.is_finite() and not _PLAIN_DECIMAL.fullmatch(value)


def _check_body(body: bytes, multiline: frozenset[str], decimals: frozenset[str]) -> None:
    """Refuse a control character in any string and a loosely spelt amount, naming the field.

    PostgreSQL text cannot hold NUL (a 500 from the driver), and no email, name, label, key or
    reason needs a control character; silently stripping them would store something other than
    what was sent. The body is decoded once, and only when it has an escaped control character
    (nearly never) or the schema declares amounts.
    """
    controls = _ESCAPED_CONTROL.search(body) is not None
    if not controls and not decimals:
        return
    try:
        document = _NUMBERS_AS_TEXT.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return  # malformed: the handler's own decoding answers 400
    field = _first_control(document, "$", multiline) if controls else None
    if field is not None:
        raise ProblemError(
            422,
            "control_characters",
            f"{field} contains a control character (such as NUL or a line break)",
            errors=[{"key": field, "message": "control characters are not allowed"}],
        )
    if not isinstance(document, dict):
        return
    for name in sorted(decimals):
        value = document.get(name)
        if isinstance(value, str) and _loosely_spelt(value):
            raise ProblemError(
                422,
                "invalid_decimal",
                f'$.{name} must be plain digits with at most one dot, e.g. "0.01"',
                errors=[{"key": f"$.{name}", "message": "not a plain decimal"}],
            )


def _first_control(node: object, path: str, multiline: frozenset[str]) -> str | None:
    if isinstance(node, str):
        text = _LINE_BREAKS.sub("", node) if path in multiline else node
        return path if _CONTROL.search(text) else None
    if isinstance(node, dict):
        for key, value in node.items():
            found = _first_control(key, path, frozenset()) or _first_control(
                value, f"{path}.{key}", multiline
            )
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _first_control(value, f"{path}[{index}]", multiline)
            if found is not None:
                return found
    return None

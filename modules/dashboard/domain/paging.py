"""Opaque cursors for the screens' lists, and cells of the CSV export.

A cursor is the sort key of the last item a page showed, as base64url JSON: a client passes it
back untouched to get the next page, and whatever was added meanwhile never shifts a page (as
an offset would). A cursor that does not decode to the list's key is refused (422).

CSV cells: spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` (or a tab or
carriage return) as a formula, so such a text cell is written with a leading apostrophe.
Numbers are the platform's own decimals, written plainly (a loss stays a negative number).
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from modules.kernel.refusal import Kind, Refused

T = TypeVar("T")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def encode_cursor(key: Any) -> str:
    raw = msgspec.json.encode(key)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, key_type: type[T]) -> T:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=key_type)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise Refused(
            Kind.INVALID, "invalid_cursor", "cursor is not one this list gave out"
        ) from None


def csv_text(value: str | None) -> str:
    """A text cell that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_number(value: Decimal | None) -> str:
    """A decimal as plain digits (never in exponent notation); empty when unknown."""
    return "" if value is None else format(value, "f")

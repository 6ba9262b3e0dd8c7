"""Kernel HTTP surface and middleware: request ids, request metrics, health, readiness, metrics."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import MediaType, ScopeType
from litestar.openapi import ResponseSpec
from litestar.routes import BaseRoute, HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from modules.kernel.db import end_of_request, serving_request
from modules.kernel.logs import request_id_var
from modules.kernel.metrics import Metrics

log = logging.getLogger("nija.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id (client's `X-Request-ID` if sane), log and measure it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        method = scope["method"]
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        lane = serving_request()
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["x-request-id"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            metrics: Metrics | None = getattr(scope["app"].state, "metrics", None)
            if metrics is not None:
                metrics.http_requests.labels(route, method, str(status)).inc()
                metrics.http_latency.labels(route, method).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                },
            )
            end_of_request(lane)
            request_id_var.reset(token)

    return middleware


@get("/health", tags=["ops"], summary="Liveness", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "alive"}


@get(
    "/ready",
    tags=["ops"],
    summary="Readiness: database and bus reachable",
    # No generated example: it is random, and the OpenAPI snapshot must be the same every time.
    responses={
        503: ResponseSpec(
            dict[str, Any],
            description="The database or the bus is down",
            generate_examples=False,
        )
    },
)
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    runtime = request.app.state.runtime
    checks = {"database": await runtime.db.ping(), "bus": await runtime.pubsub.ping()}
    ok = all(checks.values())
    return Response(
        {"status": "ready" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
    )


# Litestar appends the charset to a text/* media type itself; given prometheus' full content type
# it would name the charset twice.
_METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


@get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus metrics",
    sync_to_thread=False,
    media_type=_METRICS_MEDIA_TYPE,
)
def metrics(request: Request[Any, Any, Any]) -> Response[str]:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry).decode(), media_type=_METRICS_MEDIA_TYPE)


KERNEL_ROUTES = [health, ready, metrics]


def _allow(route: HTTPRoute) -> Callable[[Scope], Response[None]]:
    def options_handler(scope: Scope) -> Response[None]:
        return Response(
            content=None,
            status_code=HTTP_204_NO_CONTENT,
            headers={"Allow": ", ".join(sorted(route.methods))},
            media_type=MediaType.TEXT,
        )

    return options_handler


def answer_options_with_every_method(routes: Iterable[BaseRoute]) -> None:
    """Make each path's automatic OPTIONS answer list all the methods the path serves.

    Litestar 2 builds that answer with the route first made for a path; when a later handler
    joins the path (a PATCH beside a GET), the route is rebuilt but keeps the old answer, which
    leaves the new methods out of `Allow` (litestar-org/litestar#4169, fixed in Litestar 3).
    """
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"} and handler.handler_name == "options_handler":
                # A sync answer, as the one it replaces (`has_sync_callable` was set for that).
                handler._fn = _allow(route)  # type: ignore[assignment]


def client_address(
    peer: str, forwarded_for: str, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> str:
    """The address a request came from, believing `X-Forwarded-For` only from our own proxies.

    Walks the header from the right (the entry our nearest proxy appended) past every trusted
    proxy; the first address that is not one is the client. A header from anyone else is
    ignored, so a caller cannot pick the address its login failures are counted against.
    """
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _parse(hop) is not None else peer
    return hops[0] if hops else peer


def request_client_address(request: Request[Any, Any, Any]) -> str:
    peer = request.client.host if request.client else ""
    trusted = request.app.state.runtime.settings.trusted_proxy_networks
    return client_address(peer, request.headers.get("x-forwarded-for", ""), trusted)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _within(
    address: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    parsed = _parse(address)
    return parsed is not None and any(parsed in network for network in networks)

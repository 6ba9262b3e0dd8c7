"""The interactive API docs, served entirely from installed packages.

Litestar's render plugins load Swagger UI from a CDN by default, which leaves `/schema` blank
offline and lets a third party run script on our origin. The assets come instead from the pinned
`swagger-ui-py` wheel and are served by the app itself under `/schema/assets/`.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from modules.kernel.auth import BEARER_SCHEME, needs_principal

DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets"
_ASSETS = Path(str(importlib.resources.files("swagger_ui") / "static"))


def api_docs_config(title: str, version: str) -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon=f'<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">',
    )
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="The access token from POST /v1/auth/login (15 minutes; refresh to renew)",
    )
    return OpenAPIConfig(
        title=title,
        version=version,
        path=DOCS_PATH,
        render_plugins=[swagger],
        components=Components(security_schemes={BEARER_SCHEME: bearer}),
    )


def api_docs_assets() -> Any:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[_ASSETS],
        include_in_schema=False,
        cache_control=None,
        name="api-docs-assets",
    )


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem document, as every error of the API is answered."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


_WHY = {
    400: "Malformed: invalid JSON, a parameter out of its bounds, a schema violation",
    401: "No, a bad, an expired or a revoked access token",
    403: "Not allowed: the role, a missing second factor or step-up, a suspension",
    404: "No such resource (or not yours)",
    409: "Conflicts with the resource's current state (e.g. an Idempotency-Key in use)",
    413: "The body is too large",
    415: "The body is not application/json",
    422: "Understood but refused by a rule; `code` says which",
    429: "Over the rate limit; retry after `Retry-After` seconds",
}


def _problem_spec(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        media_type="application/problem+json",
        description=_WHY[status],
        generate_examples=False,
    )


def declare_problem_responses(route_handlers: Iterable[BaseRouteHandler]) -> None:
    """Document, on every operation, the problem responses it can answer, from what the
    operation takes (a body, path parameters, a token), so a client knows the shape of every
    error; an operation's own spec for a status wins."""
    for handler in route_handlers:
        if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
            continue
        statuses = {400}
        parameters = handler.parsed_fn_signature.parameters
        if "data" in parameters:
            statuses |= {409, 413, 415, 422}
        if needs_principal(handler):
            statuses |= {401, 403, 429}  # the per-user budget applies to signed-in callers
        if "{" in "".join(handler.paths):
            statuses.add(404)
        if handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
            statuses |= {404, 409, 422}
        documented = dict(handler.responses or {})
        for status in sorted(statuses):
            documented.setdefault(status, _problem_spec(status))
        handler.responses = documented

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
from litestar._openapi.schema_generation import SchemaCreator
from litestar._openapi.schema_generation.plugins.struct import (
    StructSchemaPlugin as _LitestarStructSchemaPlugin,
)
from litestar.handlers import BaseRouteHandler, HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, Schema, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.typing import FieldDefinition

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


def problem_response(status: int, description: str | None = None) -> ResponseSpec:
    """The OpenAPI answer of a problem with `status`, for an operation to declare a refusal that
    `declare_problem_responses` cannot infer from its signature (a 401 on a public operation)."""
    return ResponseSpec(
        data_container=Problem,
        media_type="application/problem+json",
        description=description or _WHY[status],
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
            documented.setdefault(status, problem_response(status))
        handler.responses = documented


# A bound of zero is falsy, and Litestar 2 drops falsy bounds of an optional field from the
# OpenAPI (`minimum: 0` of a `float | None` vanishes); carried as schema extras they stay.
_ZERO_BOUNDS = {
    "ge": "minimum",
    "gt": "exclusive_minimum",
    "le": "maximum",
    "lt": "exclusive_maximum",
}


class StructSchemaPlugin(_LitestarStructSchemaPlugin):
    """Litestar's msgspec schemas, with what they leave out of a request's contract: a Struct
    that forbids unknown fields says `additionalProperties: false`, and zero bounds stay."""

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct_type = field_definition.type_
        if struct_type.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        info = msgspec.inspect.type_info(struct_type)
        assert isinstance(info, msgspec.inspect.StructType)
        for field in info.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            if isinstance(prop, Schema):
                for name, value in _zero_bounds(field.type).items():
                    setattr(prop, name, value)
                _constrain_items(field.type, prop)
        return schema


def _zero_bounds(kind: msgspec.inspect.Type) -> dict[str, float]:
    if isinstance(kind, msgspec.inspect.UnionType):
        found: dict[str, float] = {}
        for member in kind.types:
            found |= _zero_bounds(member)
        return found
    if isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    if not isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        return {}
    return {
        schema_key: 0.0 for bound, schema_key in _ZERO_BOUNDS.items() if getattr(kind, bound) == 0
    }


def _constrain_items(kind: msgspec.inspect.Type, prop: Schema) -> None:
    """The length and pattern of a list's strings, which Litestar leaves out of `items`."""
    if isinstance(kind, msgspec.inspect.Metadata):
        kind = kind.type
    lists = kind.types if isinstance(kind, msgspec.inspect.UnionType) else (kind,)
    for member in lists:
        if isinstance(member, msgspec.inspect.Metadata):
            member = member.type
        if not isinstance(member, msgspec.inspect.ListType):
            continue
        item = member.item_type
        if isinstance(item, msgspec.inspect.Metadata):
            item = item.type
        if not isinstance(item, msgspec.inspect.StrType):
            continue
        for schema in (prop, *(prop.one_of or ())):
            if isinstance(schema, Schema) and isinstance(schema.items, Schema):
                schema.items.pattern = item.pattern
                schema.items.min_length = item.min_length or None
                schema.items.max_length = item.max_length

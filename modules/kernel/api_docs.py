"""The interactive API docs, served entirely from installed packages.

Litestar's render plugins load Swagger UI from a CDN by default, which leaves `/schema` blank
offline and lets a third party run script on our origin. The assets come instead from the pinned
`swagger-ui-py` wheel and are served by the app itself under `/schema/assets/`.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from modules.kernel.auth import BEARER_SCHEME

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

"""Single-page apps the platform serves beside its API (the admin panel at `/admin`).

`single_page_app(prefix, dist)` is a Litestar plugin: with a built app in `dist` it serves
`dist/index.html` at the prefix and at every path under it (deep links: the app's own router
reads the address), and the built files at `<prefix>/assets/`, through litestar-vite in
production mode; build the app with that asset path as its base (Vite's `base`). Without a
build it answers the prefix with a 503 problem that says how to build it, instead of failing
to start. Its responses carry a strict Content-Security-Policy: scripts, styles, images and
API calls from this origin only, no inline script, no framing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from modules.kernel.errors import problem

# No inline script or style, nothing from another origin, no plugins, no framing, and no
# <base> or form target an injected tag could point elsewhere.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def security_headers(csp: str) -> dict[str, str]:
    return {
        "content-security-policy": csp,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
    }


def _with_headers(headers: Mapping[str, str]) -> Any:
    """Middleware that sets `headers` on every response of the routes it is attached to."""
    pairs = tuple(headers.items())

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    mutable = MutableScopeHeaders.from_message(message)
                    for name, value in pairs:
                        mutable[name] = value
                    # litestar-vite answers index.html as "text/html; charset=utf-8" and
                    # Litestar appends the charset again.
                    if mutable.get("content-type", "").startswith("text/html"):
                        mutable["content-type"] = "text/html; charset=utf-8"
                        # Always revalidated: a new build's index names new asset files.
                        mutable["cache-control"] = "no-cache"
                await send(message)

            await app(scope, receive, send_with_headers)

        return wrapped

    return middleware


class SinglePageApp(InitPluginProtocol):
    """Serves a built single-page app at `prefix` from `dist` (see the module docstring)."""

    def __init__(
        self,
        prefix: str,
        dist: Path,
        *,
        name: str,
        build_hint: str,
        csp: str = STRICT_CSP,
    ) -> None:
        if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2:
            raise ValueError(f"a single-page app's prefix is like '/admin', not {prefix!r}")
        self.prefix = prefix
        self.dist = dist.resolve()
        self.name = name
        self.build_hint = build_hint
        self.headers = security_headers(csp)

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        before = len(app_config.route_handlers)
        if self.built:
            self._serve_build(app_config)
        else:
            app_config.route_handlers.append(self._not_built_handler())
        headers = _with_headers(self.headers)
        for handler in app_config.route_handlers[before:]:
            if isinstance(handler, BaseRouteHandler | Router):
                handler.middleware = [*(handler.middleware or ()), headers]
        return app_config

    def _serve_build(self, app_config: AppConfig) -> None:
        from litestar_vite import PathConfig, RuntimeConfig, ViteConfig, VitePlugin
        from litestar_vite.config import SPAConfig

        config = ViteConfig(
            mode="spa",
            dev_mode=False,
            enabled=True,
            spa_path=f"{self.prefix}/",
            paths=PathConfig(
                root=self.dist.parent,
                bundle_dir=self.dist,
                asset_url=f"{self.prefix}/assets/",
            ),
            # No CSRF token is injected: it would be an inline script, which the CSP forbids
            # (the API takes bearer tokens, not cookies, so there is nothing for it to guard).
            spa=SPAConfig(inject_csrf=False),
            # The plugin would otherwise export process-wide variables (PORT, HOST, ...).
            runtime=RuntimeConfig(set_environment=False),
        )
        handlers = app_config.exception_handlers
        # The plugin installs its own empty 404 for NotFoundException unless one is there; the
        # API answers 404 with a problem document, so keep what answers HTTPException.
        kept = handlers.get(NotFoundException, handlers.get(HTTPException))
        if kept is not None:
            app_config.exception_handlers = {**handlers, NotFoundException: kept}
        VitePlugin(config=config).on_app_init(app_config)
        # A built app has no dev server: the plugin's HMR websocket (a sink that accepts and
        # closes) would only be one more socket for anyone to open.
        app_config.route_handlers = [
            handler
            for handler in app_config.route_handlers
            if not any(path.endswith("/vite-hmr") for path in getattr(handler, "paths", ()))
        ]

    def _not_built_handler(self) -> Any:
        hint, name, prefix = self.build_hint, self.name, self.prefix

        @get(
            [prefix, f"{prefix}/{{path:path}}"],
            name=f"{name}-not-built",
            include_in_schema=False,
            sync_to_thread=False,
        )
        def not_built(request: Request[Any, Any, Any]) -> Response[Any]:
            return problem(
                503,
                "frontend_not_built",
                f"The {name} is not built on this server: run `{hint}`, then restart",
                request.url.path,
            )

        return not_built


def single_page_app(
    prefix: str,
    dist: Path,
    *,
    name: str,
    build_hint: str,
    csp: str = STRICT_CSP,
) -> SinglePageApp:
    """Serve the single-page app built into `dist` at `prefix` (deep links included)."""
    return SinglePageApp(prefix, dist, name=name, build_hint=build_hint, csp=csp)


__all__: Sequence[str] = ("STRICT_CSP", "SinglePageApp", "security_headers", "single_page_app")

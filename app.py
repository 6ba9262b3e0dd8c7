"""Composition root: the only place that picks adapters and wires modules together.

`create_app(settings)` returns the Litestar app; `cli` is the `nija` command.
"""

from __future__ import annotations

import asyncio
import gc
import getpass
import importlib
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import click
from litestar import Litestar
from litestar.cli._utils import LitestarEnv, LitestarGroup
from litestar.cli.commands.core import info_command, routes_command, version_command
from litestar.cli.commands.schema import schema_group
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.plugins import CLIPlugin

from modules.kernel.adapters.local_keyring import LocalTransitKeyring
from modules.kernel.adapters.memory_bus import InProcessPubSub
from modules.kernel.adapters.pg_state import PostgresStateStore
from modules.kernel.api_docs import (
    StructSchemaPlugin,
    api_docs_assets,
    api_docs_config,
    declare_problem_responses,
)
from modules.kernel.auth import (
    TokenCodec,
    authentication_guard,
    declare_bearer_security,
    load_or_create_secret,
    provide_admin,
    provide_admin_step_up,
    provide_principal,
    provide_step_up,
)
from modules.kernel.db import Database, redact_url
from modules.kernel.errors import EXCEPTION_HANDLERS
from modules.kernel.frontends import STRICT_CSP, single_page_app
from modules.kernel.http import (
    KERNEL_ROUTES,
    answer_options_with_every_method,
    request_context_middleware,
)
from modules.kernel.json_body import json_body_guard
from modules.kernel.logs import configure_logging
from modules.kernel.module import NijaModule, Runtime
from modules.kernel.ports import Keyring, PubSub, StateFactory
from modules.kernel.ratelimit import rate_limit_guard
from modules.kernel.refusal import Refused
from modules.kernel.settings import Settings, load_settings
from modules.kernel.statements import StatementTally
from modules.kernel.web_assets import built_frontend
from modules.kernel.ws_protocol import LeanWebSocketProtocol

log = logging.getLogger("nija.app")
# The admin panel's build (`make admin-build`), served at /admin.
# Installed (the wheel, the image) or in this checkout; unbuilt, /admin answers how to build it.
ADMIN_DIST = built_frontend("admin") or Path(__file__).resolve().parent / "admin" / "dist"
# The traders' app's web export (`make mobile-build`), served at /app, found the same way.
MOBILE_DIST = built_frontend("mobile") or Path(__file__).resolve().parent / "mobile" / "dist"
# React Native for Web styles components through a <style> sheet it writes and style
# attributes: the app's policy allows inline styles; scripts stay this origin's only.
MOBILE_CSP = STRICT_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
os.environ.setdefault("PICCOLO_CONF", "migrations.piccolo_conf")


def _module_class(name: str) -> type[NijaModule]:
    plugin: type[NijaModule] = importlib.import_module(f"modules.{name}").plugin
    return plugin


def _pubsub_for(settings: Settings) -> PubSub:
    if settings.pubsub == "dapr":
        from modules.kernel.adapters.dapr_pubsub import DaprPubSub

        return DaprPubSub(settings)
    return InProcessPubSub(
        max_attempts=settings.bus_max_attempts,
        retry_base_seconds=settings.bus_retry_base_seconds,
        retry_max_seconds=settings.bus_retry_max_seconds,
        concurrency=settings.bus_concurrency,
    )


def _keyring_for(settings: Settings) -> Keyring:
    if settings.keyring == "vault":
        from modules.kernel.adapters.vault_transit import VaultTransitKeyring

        if not (settings.vault_role_id and settings.vault_secret_id):
            raise ValueError("NIJA_KEYRING=vault needs NIJA_VAULT_ROLE_ID and NIJA_VAULT_SECRET_ID")
        return VaultTransitKeyring(
            settings.vault_addr,
            role_id=settings.vault_role_id,
            secret_id=settings.vault_secret_id,
            mount=settings.vault_transit_mount,
            namespace=settings.vault_namespace,
        )
    return LocalTransitKeyring(os.path.join(settings.data_path, "transit-keys.json"))


def _state_for(settings: Settings, db: Database) -> StateFactory:
    if settings.state == "dapr":
        from modules.kernel.adapters.dapr_state import DaprStateStore

        return lambda module: DaprStateStore(settings, module)
    return lambda module: PostgresStateStore(db, module)


class Platform:
    """The running runtime plus its modules; `start`/`stop` bracket the process lifetime."""

    def __init__(
        self,
        settings: Settings,
        *,
        pubsub: PubSub | None = None,
        state_factory: StateFactory | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.settings = settings
        db = Database(
            settings.database_url,
            settings.data_path,
            pool_min=settings.db_pool_min,
            pool_max=settings.db_pool_max,
            request_reserve=settings.db_pool_requests,
            tally=(
                StatementTally(by_text=settings.db_statement_texts)
                if settings.db_statement_stats or settings.db_statement_texts
                else None
            ),
        )
        secret = settings.jwt_secret or load_or_create_secret(settings.data_path)
        self.runtime = Runtime(
            settings=settings,
            db=db,
            pubsub=pubsub or _pubsub_for(settings),
            state_factory=state_factory or _state_for(settings, db),
            keyring=keyring or _keyring_for(settings),
            tokens=TokenCodec.from_config(
                secret, issuer=settings.jwt_issuer, ttl_seconds=settings.access_token_ttl_seconds
            ),
        )
        if db.tally is not None:
            db.tally.export_to(self.runtime.metrics.registry)
        self.modules: dict[str, NijaModule] = {
            name: _module_class(name)(self.runtime) for name in settings.modules
        }

    async def start(self, *, serve: bool = True) -> None:
        runtime = self.runtime
        await runtime.db.start()
        if self.settings.migrate_on_start:
            await self.migrate()
        if not serve:
            return
        runtime.count_dead_letters()
        for module in self.modules.values():
            module.attach()
        await runtime.pubsub.start()
        for module in self.modules.values():
            await module.start_relay()
            await module.start()
        # Everything built so far (app, routes, schemas, modules) lives as long as the process:
        # keep it out of the collector's reach, so full collections under load walk only what
        # requests and events allocate, instead of pausing every request for the whole heap.
        gc.collect()
        gc.freeze()
        # A young generation of 10,000 objects, not 700: each order allocates thousands of
        # short-lived containers, and the default ran a collection every few milliseconds that
        # walked whatever happened to be in flight. Measured over 1,000 bench orders: 400
        # collections in 0.20 s of the loop's time before, 19 in 0.08 s after (a young
        # collection now pauses about 3 ms, once a second under load).
        gc.set_threshold(10_000, 10, 10)

    async def migrate(self) -> None:
        await self.runtime.db.migrate(["kernel", *self.modules])

    async def stop(self) -> None:
        for module in reversed(list(self.modules.values())):
            await module.stop()
        for relay in self.runtime.relays.values():
            await relay.stop()
        await self.runtime.pubsub.stop()
        await self.runtime.db.stop()

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


async def request_guards(
    connection: ASGIConnection[Any, Any, Any, Any], route_handler: BaseRouteHandler
) -> None:
    """The app's guards, in order, as one: who asks (401/403 before anything else), then how
    often (429), then how much body (413/415). Litestar hands every guard a copy of the route
    handler; three guards made three copies per request, 1.5 % of the app's CPU under load."""
    await authentication_guard(connection, route_handler)
    await rate_limit_guard(connection, route_handler)
    await json_body_guard(connection, route_handler)


def create_app(
    settings: Settings | None = None,
    *,
    pubsub: PubSub | None = None,
    state_factory: StateFactory | None = None,
    keyring: Keyring | None = None,
) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    platform = Platform(settings, pubsub=pubsub, state_factory=state_factory, keyring=keyring)
    route_handlers: list[Any] = [*KERNEL_ROUTES, api_docs_assets()]
    if settings.pubsub == "dapr":
        from modules.kernel.adapters.dapr_pubsub import DaprPubSub

        route_handlers.extend(DaprPubSub.routes())
    app = Litestar(
        route_handlers=route_handlers,
        plugins=[
            StructSchemaPlugin(),
            *platform.modules.values(),
            NijaCLI(),
            single_page_app(
                "/admin", ADMIN_DIST, name="admin panel", build_hint="make admin-build"
            ),
            single_page_app(
                "/app",
                MOBILE_DIST,
                name="traders' app",
                build_hint="make mobile-build",
                csp=MOBILE_CSP,
            ),
        ],
        lifespan=[platform.lifespan],
        middleware=[request_context_middleware],
        guards=[request_guards],
        exception_handlers=EXCEPTION_HANDLERS,
        # Wrapped once here: a bare function is wrapped anew, and its signature parsed again,
        # for every handler (about 500 parses, a third of the app's construction time).
        dependencies={
            "principal": Provide(provide_principal),
            "admin": Provide(provide_admin),
            "admin_step_up": Provide(provide_admin_step_up),
            "step_up": Provide(provide_step_up),
        },
        openapi_config=api_docs_config("NIJA API", "1.0.0"),
        debug=False,
        logging_config=None,
    )
    handlers = [h for route in app.routes for h in getattr(route, "route_handlers", ())]
    declare_bearer_security(handlers)
    declare_problem_responses(handlers)
    answer_options_with_every_method(app.routes)
    app.state.platform = platform
    app.state.runtime = platform.runtime
    app.state.tokens = platform.runtime.tokens
    app.state.revocations = platform.runtime.revocations
    app.state.metrics = platform.runtime.metrics
    return app


def openapi_document() -> str:
    """The OpenAPI document of every module, as the committed snapshot holds it (stable order)."""
    app = create_app(load_settings(environ={}))
    return json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True) + "\n"


# ---- the `nija` command ------------------------------------------------------------------

# Built on Litestar's CLI: `cli` is a `LitestarGroup`, so a command that takes `app` gets the
# platform's app (built only for such a command), and it carries Litestar's own `info`, `routes`,
# `schema` and `version` beside NIJA's commands. NIJA's commands are also a `CLIPlugin` of the app,
# so `litestar --app app:create_app <command>` offers them as well.


def _litestar_env() -> LitestarEnv:
    return LitestarEnv(
        app_path="app:create_app", app=create_app(), cwd=Path.cwd(), is_app_factory=True
    )


class NijaGroup(LitestarGroup):
    """Litestar's root group, with click's one-line errors (`Error: ...`, log-friendly under
    Nomad) instead of rich-click's boxed panels; help stays rich-click's."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # Litestar's commands call `ctx.obj()` when, and only when, they need the app.
        extra.setdefault("obj", _litestar_env)
        return super().make_context(info_name, args, parent, **extra)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return click.Group.main(self, *args, **kwargs)


@click.group(
    cls=NijaGroup,
    help="NIJA trading platform.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
def cli() -> None:
    pass


@click.command(help="Run the platform (embedded defaults unless NIJA_* variables say otherwise).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    import uvicorn

    settings = load_settings()
    app = create_app(settings)
    base = f"http://{host}:{port}"
    admin_note = "" if (ADMIN_DIST / "index.html").is_file() else " (not built: make admin-build)"
    app_note = "" if (MOBILE_DIST / "index.html").is_file() else " (not built: make mobile-build)"
    database = (
        f"embedded PostgreSQL under {settings.data_path}"
        if settings.database_url is None
        else redact_url(settings.database_url)
    )
    click.echo(
        f"NIJA is starting on {base}\n"
        f"  API docs   {base}/schema\n"
        f"  health     {base}/health  ready {base}/ready  metrics {base}/metrics\n"
        f"  WebSocket  ws://{host}:{port}/v1/ws\n"
        f"  admin      {base}/admin{admin_note}\n"
        f"  app        {base}/app{app_note}\n"
        f"  database   {database}"
    )
    # The app reads X-Forwarded-For itself, from NIJA_TRUSTED_PROXIES only; uvicorn's own
    # handling would believe any local caller.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=False,
        ws_per_message_deflate=settings.ws_compression,
        ws=LeanWebSocketProtocol,
    )


async def _with_platform(action: Any, modules: Sequence[str] | None = None) -> Any:
    settings = load_settings()
    platform = Platform(settings)
    await platform.start(serve=False)
    try:
        return await action(platform)
    finally:
        await platform.stop()


@click.command(help="Write the OpenAPI document the app and the admin panel are typed from.")
@click.option(
    "--output", type=click.Path(dir_okay=False), default="docs/openapi.json", show_default=True
)
def openapi(output: str) -> None:
    Path(output).write_text(openapi_document())
    click.echo(f"wrote {output}")


@click.command(help="Apply every module's database migrations.")
def migrate() -> None:
    async def action(platform: Platform) -> None:
        await platform.migrate()

    asyncio.run(_with_platform(action))
    click.echo("migrations applied")


@click.group(help="Manage users.")
def users() -> None:
    pass


@users.command("create-admin", help="Create an admin account (or promote an existing one).")
@click.option("--email", required=True)
def create_admin(email: str) -> None:
    """The password is prompted for (twice) on a terminal, or read from stdin's first line.

    Never an option: a password on the command line lands in shell history and `ps`.
    """
    secret = _read_password()

    async def action(platform: Platform) -> str:
        identity = platform.modules.get("identity")
        if identity is None:
            raise click.ClickException("the identity module is not enabled")
        user_id: str = await identity.create_admin(email, secret)  # type: ignore[attr-defined]
        return user_id

    try:
        user_id = asyncio.run(_with_platform(action))
    except Refused as refused:
        raise click.ClickException(f"{refused.reason} ({refused.code})") from None
    click.echo(f"admin {email} ready (id {user_id})")


def _read_password() -> str:
    if sys.stdin.isatty():
        secret = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != secret:
            raise click.ClickException("the two passwords differ")
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise click.ClickException("no password given (type it at the prompt, or pipe it in)")
    return secret


@click.group(help="Manage the credential vault.")
def vault() -> None:
    pass


@vault.command(
    "rotate-keys",
    help="Rotate the transit key and rewrap every user's data key (the service keeps running).",
)
def rotate_keys() -> None:
    async def action(platform: Platform) -> dict[str, int]:
        module = platform.modules.get("vault")
        if module is None:
            raise click.ClickException("the vault module is not enabled")
        result: dict[str, int] = await module.rotate_keys()  # type: ignore[attr-defined]
        return result

    result = asyncio.run(_with_platform(action))
    click.echo(
        f"transit key rotated to v{result['version']}; {result['rewrapped']} data keys rewrapped"
    )


@click.command(
    help="Backtest the bot's strategy over a venue's recent history, filled by the venue's "
    "model (fees and slippage walked from its book). Same seed, same arguments, same report."
)
@click.option("--strategy", type=click.Choice(["apex_v71"]), default="apex_v71", show_default=True)
@click.option("--symbol", required=True, help="e.g. BTC/USD")
@click.option("--venue", required=True, help="coinbase, kraken or binance")
@click.option("--days", type=click.IntRange(1, 90), default=30, show_default=True)
@click.option(
    "--timeframe", type=click.Choice(["1m", "5m", "15m", "1h"]), default="5m", show_default=True
)
@click.option("--equity", "equity_usd", default=None, help="Starting equity in USD [10000]")
@click.option("--risk-level", type=click.Choice(["low", "medium", "high"]), default=None)
@click.option("--max-position", "max_position_usd", default=None, help="USD cap of one entry")
@click.option("--end", default=None, help="End of the history, ISO 8601 UTC [the market now]")
@click.option("--seed", type=int, default=None, help="The simulated market's seed [NIJA_SIM_SEED]")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON")
@click.option("--plot", type=click.Path(dir_okay=False), default=None, help="Equity curve, .svg")
def backtest(
    seed: int | None, as_json: bool, plot: str | None, end: str | None, **fields: Any
) -> None:
    import msgspec

    from modules.strategy.domain.backtest_chart import summary, svg
    from modules.strategy.schemas import BacktestRequest

    if plot is not None and not plot.lower().endswith(".svg"):
        raise click.ClickException("--plot draws SVG (no PNG library is installed): name a .svg")
    given = {k: v for k, v in fields.items() if v is not None}
    if end is not None:
        given["end"] = end if end.endswith(("Z", "+00:00")) else end + "Z"
    try:
        request = msgspec.convert(given, BacktestRequest, strict=False)
    except msgspec.ValidationError as error:
        raise click.ClickException(str(error)) from None
    overrides: dict[str, Any] = {"modules": ("execution", "strategy")}
    if seed is not None:
        overrides["sim_seed"] = seed
    # History and the engine are pure computations: nothing is started, no database is used.
    platform = Platform(load_settings(**overrides))
    execution, strategy = platform.modules["execution"], platform.modules["strategy"]
    try:
        report = asyncio.run(strategy.backtest(request, execution.history.answer))  # type: ignore[attr-defined]
    except Refused as refused:
        raise click.ClickException(f"{refused.reason} ({refused.code})") from None
    title = f"{request.strategy} {request.symbol.upper()} on {request.venue}, {request.timeframe}"
    if plot is not None:
        with open(plot, "w", encoding="utf-8") as handle:
            handle.write(svg(report, title))
    click.echo(
        msgspec.json.encode(report).decode() if as_json else summary(report, title), nl=False
    )
    if as_json:
        click.echo()


class NijaCLI(CLIPlugin):
    """NIJA's operator commands, added to a Litestar CLI root (the `nija` command's, or the
    `litestar` command's for this app); `run` takes the place of Litestar's own."""

    COMMANDS: tuple[click.Command, ...] = (run, migrate, users, vault, backtest, openapi)

    def on_cli_init(self, cli: click.Group) -> None:
        for command in self.COMMANDS:
            cli.add_command(command)


NijaCLI().on_cli_init(cli)
for _litestar_command in (info_command, routes_command, schema_group, version_command):
    cli.add_command(_litestar_command)


if __name__ == "__main__":
    cli()

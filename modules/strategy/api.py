"""Strategy's HTTP surface: the trader's bot (settings, start, pause), its signals, TradingView
hooks with the public endpoint their alerts arrive at, and backtests of its strategy."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from modules.kernel.api_docs import Problem
from modules.kernel.auth import Principal, provide_step_up
from modules.kernel.bounds import IdPath
from modules.kernel.errors import ProblemError
from modules.strategy.domain.tradingview import HOOKS_PATH
from modules.strategy.schemas import (
    BacktestAccepted,
    BacktestRequest,
    BacktestView,
    BotSettingsRequest,
    BotView,
    SignalPage,
    TradingViewAccepted,
    TradingViewAlertRequest,
    TradingViewHookCreated,
    TradingViewHookDetail,
    TradingViewHookRequest,
    TradingViewHookView,
)
from modules.strategy.service.backtests import Backtests
from modules.strategy.service.controls import BotControls
from modules.strategy.service.tradingview_alerts import TradingViewAlerts
from modules.strategy.service.tradingview_hooks import TradingViewHooks
from modules.strategy.views import BacktestViews, BotViews, TradingViewViews


class BotController(Controller):
    path = "/v1/bot"
    tags = ["bot"]

    @get("/", summary="Your trading bot: status (and why it paused), settings, open positions")
    async def get_bot(
        self, principal: NamedDependency[Principal], strategy_views: NamedDependency[BotViews]
    ) -> BotView:
        return await strategy_views.bot(principal.user_id)

    @put(
        "/",
        summary="Change your bot's settings (a field left out keeps its value)",
        description="Going live, or raising the maximum position, equity or risk level, needs "
        "a recent second-factor proof (403 `step_up_required`); lowering is always allowed.",
    )
    async def put_bot(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BotSettingsRequest],
        principal: NamedDependency[Principal],
        strategy_controls: NamedDependency[BotControls],
        strategy_views: NamedDependency[BotViews],
    ) -> BotView:
        if await strategy_controls.needs_step_up(principal.user_id, data):
            await provide_step_up(request)
        await strategy_controls.update_settings(principal.user_id, data)
        return await strategy_views.bot(principal.user_id)

    @post(
        "/start",
        status_code=200,
        summary="Start your bot",
        description="409 `bot_halted` while a kill switch, a suspension or execution's pause "
        "of your trading holds.",
    )
    async def start(
        self,
        principal: NamedDependency[Principal],
        strategy_controls: NamedDependency[BotControls],
        strategy_views: NamedDependency[BotViews],
    ) -> BotView:
        await strategy_controls.start(principal.user_id)
        return await strategy_views.bot(principal.user_id)

    @post(
        "/pause",
        status_code=200,
        summary="Pause your bot (its stops and targets keep protecting open positions)",
    )
    async def pause(
        self,
        principal: NamedDependency[Principal],
        strategy_controls: NamedDependency[BotControls],
        strategy_views: NamedDependency[BotViews],
    ) -> BotView:
        await strategy_controls.pause(principal.user_id)
        return await strategy_views.bot(principal.user_id)


class SignalsController(Controller):
    path = "/v1/signals"
    tags = ["bot"]

    @get("/", summary="Your bot's signals, newest first, each with why and the orders it sent")
    async def list_signals(
        self,
        principal: NamedDependency[Principal],
        strategy_views: NamedDependency[BotViews],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> SignalPage:
        return await strategy_views.signals(principal.user_id, limit, offset)


# TradingView alerts ---------------------------------------------------------------------------

_NO_STORE = CacheControlHeader(no_store=True)
# The alert endpoint is public, so the kernel documents no 401 or 429 for it: say them here.
_ALERT_PROBLEMS = {
    401: ResponseSpec(
        data_container=Problem,
        media_type="application/problem+json",
        description="`webhook_unauthorized`: an unknown or revoked hook, or a wrong secret "
        "(the same answer for each, so hook ids cannot be probed)",
        generate_examples=False,
    ),
    429: ResponseSpec(
        data_container=Problem,
        media_type="application/problem+json",
        description="`alert_rate_limited`: over the hook's budget; retry after `Retry-After`",
        generate_examples=False,
    ),
}


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def _hook_uuid(hook_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(hook_id)
    except ValueError:
        raise ProblemError(404, "webhook_not_found", "No such TradingView hook") from None


class TradingViewController(Controller):
    path = HOOKS_PATH
    tags = ["tradingview"]

    @post(
        "/",
        status_code=201,
        cache_control=_NO_STORE,
        summary="Create a TradingView hook: its URL and secret (shown only in this answer)",
        description="Paste `url` as the alert's webhook URL and `alert_message` as its message. "
        "NIJA keeps only a hash of the secret: lose it and create a new hook.",
    )
    async def create_hook(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TradingViewHookRequest],
        principal: NamedDependency[Principal],
        strategy_tradingview_hooks: NamedDependency[TradingViewHooks],
    ) -> TradingViewHookCreated:
        return await strategy_tradingview_hooks.create(principal.user_id, data, _base_url(request))

    @get("/", summary="Your TradingView hooks (their secrets are never shown again)")
    async def list_hooks(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        strategy_tradingview_views: NamedDependency[TradingViewViews],
    ) -> list[TradingViewHookView]:
        return await strategy_tradingview_views.hooks(principal.user_id, _base_url(request))

    @get(
        "/{hook_id:str}",
        summary="One of your hooks with its latest alerts and what became of each",
        description="An alert `submitted` went to the risk gate as order `order_id`; one the "
        "gate refused later turns `refused` with the gate's `code`.",
    )
    async def get_hook(
        self,
        request: Request[Any, Any, Any],
        hook_id: IdPath,
        principal: NamedDependency[Principal],
        strategy_tradingview_views: NamedDependency[TradingViewViews],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> TradingViewHookDetail:
        hook = await strategy_tradingview_views.hook(
            principal.user_id, _hook_uuid(hook_id), _base_url(request), limit
        )
        if hook is None:
            raise ProblemError(404, "webhook_not_found", "No such TradingView hook")
        return hook

    @delete("/{hook_id:str}", status_code=204, summary="Revoke a hook: its alerts are refused")
    async def revoke_hook(
        self,
        hook_id: IdPath,
        principal: NamedDependency[Principal],
        strategy_tradingview_hooks: NamedDependency[TradingViewHooks],
    ) -> None:
        await strategy_tradingview_hooks.revoke(principal.user_id, _hook_uuid(hook_id))

    @post(
        "/{hook_id:str}",
        status_code=202,
        request_max_body_size=4096,
        responses=_ALERT_PROBLEMS,
        summary="Receive a TradingView alert (no bearer token: the hook's secret authenticates)",
        description="The order goes through the risk gate like any other; its answer comes "
        "later (see GET of the hook). Refused here: a stale `timestamp` (422 `stale_alert`), a "
        "replay (409 `alert_replayed`), an unreadable symbol (422 `unknown_symbol`).",
    )
    async def receive_alert(
        self,
        hook_id: IdPath,
        data: JSONBody[TradingViewAlertRequest],
        strategy_tradingview_alerts: NamedDependency[TradingViewAlerts],
    ) -> TradingViewAccepted:
        order_id = await strategy_tradingview_alerts.receive(hook_id, data)
        return TradingViewAccepted(received=True, order_id=str(order_id))


class BacktestsController(Controller):
    path = "/v1/backtests"
    tags = ["backtests"]

    @post(
        "/",
        status_code=202,
        summary="Backtest the bot's strategy over a venue's recent history",
        description="Runs in the background: poll `GET /v1/backtests/{id}` until `done` (with "
        "the report) or `failed`. `days` is 1 to 90 (at most 25,920 bars: 18 days of `1m`); "
        "equity, risk level and maximum position default to a new bot's. 429 "
        "`too_many_backtests` while three of yours are under way.",
    )
    async def submit(
        self,
        data: JSONBody[BacktestRequest],
        principal: NamedDependency[Principal],
        strategy_backtests: NamedDependency[Backtests],
    ) -> BacktestAccepted:
        backtest_id = await strategy_backtests.submit(principal.user_id, data)
        return BacktestAccepted(id=backtest_id, status="queued")

    @get("/{backtest_id:str}", summary="One of your backtests: status, parameters, report")
    async def get_backtest(
        self,
        backtest_id: IdPath,
        principal: NamedDependency[Principal],
        strategy_backtest_views: NamedDependency[BacktestViews],
    ) -> BacktestView:
        view = await strategy_backtest_views.backtest(principal.user_id, backtest_id)
        if view is None:
            raise ProblemError(404, "backtest_not_found", "No such backtest")
        return view


class AdminBotController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]

    @get(
        "/{user_id:uuid}/bot",
        summary="A user's bot as they see it: status and why, settings, open positions (admin, "
        "read-only)",
        description="Strategy keeps no account list: a user who never set up a bot has the "
        "default one, `off`.",
    )
    async def user_bot(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        strategy_views: NamedDependency[BotViews],
    ) -> BotView:
        return await strategy_views.bot(str(user_id))

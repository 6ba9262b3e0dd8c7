"""Strategy's HTTP surface: the trader's bot (settings, start, pause), its signals, and
backtests of its strategy."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from modules.kernel.auth import Principal, provide_step_up
from modules.kernel.errors import ProblemError
from modules.strategy.schemas import (
    BacktestAccepted,
    BacktestRequest,
    BacktestView,
    BotSettingsRequest,
    BotView,
    SignalPage,
)
from modules.strategy.service.backtests import Backtests
from modules.strategy.service.controls import BotControls
from modules.strategy.views import BacktestViews, BotViews


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
        backtest_id: FromPath[str],
        principal: NamedDependency[Principal],
        strategy_backtest_views: NamedDependency[BacktestViews],
    ) -> BacktestView:
        view = await strategy_backtest_views.backtest(principal.user_id, backtest_id)
        if view is None:
            raise ProblemError(404, "backtest_not_found", "No such backtest")
        return view

"""The strategy module as a Litestar plugin: the trading bots (APEX v7.1), one per user,
TradingView alert hooks, and backtests.

Use cases: service/; reads for the API: views.py; published events: contracts.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from modules.kernel.module import NijaModule, Runtime, Subscription
from modules.strategy.api import (
    AdminBotController,
    BacktestsController,
    BotController,
    SignalsController,
    TradingViewController,
)
from modules.strategy.config import load_config, load_tradingview_config
from modules.strategy.domain.backtest_report import Report
from modules.strategy.handlers import subscriptions, tradingview_subscriptions
from modules.strategy.repository.backtests import BacktestRepository
from modules.strategy.repository.balances import BalanceRepository
from modules.strategy.repository.bars import BarRepository
from modules.strategy.repository.bots import BotRepository
from modules.strategy.repository.holds import HoldRepository
from modules.strategy.repository.intent_orders import IntentOrderRepository
from modules.strategy.repository.intents import IntentRepository
from modules.strategy.repository.positions import PositionRepository
from modules.strategy.repository.prices import PriceRepository
from modules.strategy.repository.signals import SignalRepository
from modules.strategy.repository.tradingview_alerts import AlertRepository
from modules.strategy.repository.tradingview_hooks import HookRepository
from modules.strategy.repository.venue_positions import VenuePositionRepository
from modules.strategy.schemas import BacktestRequest
from modules.strategy.service.backtests import Backtests, Serve, run_now, spec_of
from modules.strategy.service.balances import Balances
from modules.strategy.service.controls import BotControls
from modules.strategy.service.evaluation import Evaluator
from modules.strategy.service.reports import Reports
from modules.strategy.service.standing import Standing
from modules.strategy.service.status import BotStatus
from modules.strategy.service.trades import Trades
from modules.strategy.service.tradingview_alerts import TradingViewAlerts
from modules.strategy.service.tradingview_hooks import TradingViewHooks
from modules.strategy.views import BacktestViews, BotViews, TradingViewViews
from modules.strategy.workers.backtests import backtests_worker
from modules.strategy.workers.census import census_worker


class StrategyModule(NijaModule):
    name = "strategy"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        config = self._config = load_config()
        bots, positions, intents = BotRepository(), PositionRepository(), IntentRepository()
        holds = HoldRepository()
        status = BotStatus(runtime, bots)
        self._census = census_worker(status, runtime.metrics)
        status.changed = self._census.wake
        self.controls = BotControls(runtime, config, bots, holds, status)
        self._views = BotViews(runtime.db, config)
        trades = Trades(positions, intents, SignalRepository())
        self._evaluator = Evaluator(runtime, config, BarRepository(), bots, positions, trades)
        self._reports = Reports(
            runtime,
            config,
            bots=bots,
            intents=intents,
            orders=IntentOrderRepository(),
            positions=positions,
            venue_positions=VenuePositionRepository(),
            holds=holds,
            status=status,
        )
        self._standing = Standing(holds, status)
        self._balances = Balances(BalanceRepository())
        self._wire_tradingview(runtime)
        self._wire_backtests(runtime)

    def _wire_tradingview(self, runtime: Runtime) -> None:
        config, hooks, prices = load_tradingview_config(), HookRepository(), PriceRepository()
        self._tradingview_hooks = TradingViewHooks(runtime, config, hooks, prices)
        self._tradingview_alerts = TradingViewAlerts(
            runtime,
            config,
            hooks=hooks,
            alerts=AlertRepository(),
            prices=prices,
            venue_positions=VenuePositionRepository(),
        )
        self._tradingview_views = TradingViewViews(runtime.db, config)

    def _wire_backtests(self, runtime: Runtime) -> None:
        self.backtests = Backtests(runtime, self._config, BacktestRepository())
        self._backtest_views = BacktestViews(runtime.db)
        self._backtest_worker = backtests_worker(self._config, runtime.metrics, self.backtests)
        self.backtests.wake = self._backtest_worker.wake

    async def backtest(self, request: BacktestRequest, serve: Serve) -> Report:
        """`nija backtest`: the same backtest as the API's, its history asked of `serve`."""
        return await run_now(spec_of(request, self._config), serve)

    def route_handlers(self) -> Sequence[ControllerRouterHandler]:
        return [
            BotController,
            SignalsController,
            TradingViewController,
            BacktestsController,
            AdminBotController,
        ]

    def dependencies(self) -> dict[str, Provide]:
        return {
            "strategy_controls": Provide(lambda: self.controls, sync_to_thread=False),
            "strategy_views": Provide(lambda: self._views, sync_to_thread=False),
            "strategy_backtests": Provide(lambda: self.backtests, sync_to_thread=False),
            "strategy_backtest_views": Provide(lambda: self._backtest_views, sync_to_thread=False),
            **self._tradingview_dependencies(),
        }

    def _tradingview_dependencies(self) -> dict[str, Provide]:
        return {
            "strategy_tradingview_hooks": Provide(
                lambda: self._tradingview_hooks, sync_to_thread=False
            ),
            "strategy_tradingview_alerts": Provide(
                lambda: self._tradingview_alerts, sync_to_thread=False
            ),
            "strategy_tradingview_views": Provide(
                lambda: self._tradingview_views, sync_to_thread=False
            ),
        }

    def subscriptions(self) -> Sequence[Subscription]:
        return [
            *subscriptions(
                self._evaluator, self._reports, self._standing, self.backtests, self._balances
            ),
            *tradingview_subscriptions(self._tradingview_alerts),
        ]

    async def start(self) -> None:
        self._backtest_worker.start()
        self._census.start()

    async def stop(self) -> None:
        await self._census.stop()
        await self._backtest_worker.stop()


plugin = StrategyModule

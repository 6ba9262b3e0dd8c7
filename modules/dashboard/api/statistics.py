"""Statistics: per day, performance over a period, and what routing saved."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from modules.dashboard.api.params import Cursor, FromDay, Limit, ToDay, day
from modules.dashboard.schemas.screens import DailyStatistics, Performance, RoutingSavings
from modules.dashboard.views.statistics import StatisticsViews
from modules.kernel.api_docs import problem_response
from modules.kernel.auth import Principal


class StatisticsController(Controller):
    path = "/v1/dashboard"
    tags = ["dashboard"]

    @get(
        "/statistics/daily",
        summary="Your trading per day, in your time zone",
        responses={422: problem_response(422)},
        description="Fills, volume, fees, realised P&L net of fees, positions closed, wins and "
        "losses for each day from `from` to `to` (at most 366 days; days without trading are "
        "zeros).",
    )
    async def daily(
        self,
        principal: NamedDependency[Principal],
        statistics_views: NamedDependency[StatisticsViews],
        start: FromDay = None,
        end: ToDay = None,
    ) -> DailyStatistics:
        return await statistics_views.daily(principal.user_id, day("from", start), day("to", end))

    @get(
        "/performance",
        summary="Win rate, profit factor, Sharpe, drawdown, P&L and equity over a period",
    )
    async def performance(
        self,
        principal: NamedDependency[Principal],
        statistics_views: NamedDependency[StatisticsViews],
        period: Annotated[Literal["7d", "30d", "90d", "all"], QueryParameter()] = "30d",
    ) -> Performance:
        return await statistics_views.performance(principal.user_id, period)

    @get(
        "/routing-savings",
        summary="What routing saved: each order's expected cost against the best single venue",
        responses={422: problem_response(422)},
    )
    async def routing_savings(
        self,
        principal: NamedDependency[Principal],
        statistics_views: NamedDependency[StatisticsViews],
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> RoutingSavings:
        return await statistics_views.routing_savings(principal.user_id, limit, cursor)

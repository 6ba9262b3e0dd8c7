"""Positions: the list, one position, and its chart."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from modules.dashboard.api.params import Cursor, Cycle, Limit, PnlSign, Symbol, Venue
from modules.dashboard.domain.charts import ChartRange
from modules.dashboard.schemas.screens import PositionChart, PositionDetail, PositionPage
from modules.dashboard.views.positions import PositionFilter, PositionViews
from modules.kernel.api_docs import problem_response
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath


class PositionsController(Controller):
    path = "/v1/dashboard/positions"
    tags = ["dashboard"]

    @get(
        "",
        summary="Your positions, newest first, with a summary",
        responses={422: problem_response(422)},
        description=(
            "Each position runs from the fill that opened it to the one that closed it. "
            "`summary` counts open and closed positions and adds up the open ones' value and "
            "unrealised P&L for the venue and symbol asked, whatever the status and P&L filters."
        ),
    )
    async def list_positions(
        self,
        principal: NamedDependency[Principal],
        position_views: NamedDependency[PositionViews],
        venue: Venue = None,
        symbol: Symbol = None,
        status: Annotated[Literal["open", "closed"] | None, QueryParameter()] = None,
        pnl: PnlSign = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> PositionPage:
        flt = PositionFilter(venue=venue, symbol=symbol, status=status, pnl=pnl)
        return await position_views.page(principal.user_id, flt, limit, cursor)

    @get("/{position_id:str}", summary="One of your positions, with the bot's strategy block")
    async def position(
        self,
        principal: NamedDependency[Principal],
        position_views: NamedDependency[PositionViews],
        position_id: IdPath,
        cycle: Cycle = None,
    ) -> PositionDetail:
        return await position_views.detail(principal.user_id, position_id, cycle)

    @get(
        "/{position_id:str}/chart",
        summary="A position's price chart with its entry, stop and target lines",
        description=(
            "Closes of the bars the venue published, at most 300 points: the range looks back "
            "from the position's close (or now while it is open); `ALL` spans its life."
        ),
    )
    async def chart(
        self,
        principal: NamedDependency[Principal],
        position_views: NamedDependency[PositionViews],
        position_id: IdPath,
        chart_range: Annotated[ChartRange, QueryParameter(name="range")] = "1D",
        cycle: Cycle = None,
    ) -> PositionChart:
        return await position_views.chart(principal.user_id, position_id, cycle, chart_range)

"""Activity: the feed, and the fills as a tax-ready CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Stream

from modules.dashboard.api.params import (
    Cursor,
    From,
    Limit,
    PnlSign,
    Symbol,
    To,
    Venue,
    timestamp,
)
from modules.dashboard.schemas.screens import ActivityPage, ActivityType
from modules.dashboard.views.activity import ActivityFilter, ActivityViews
from modules.kernel.api_docs import problem_response
from modules.kernel.auth import Principal


class ActivityController(Controller):
    path = "/v1/dashboard/activity"
    tags = ["dashboard"]

    @get(
        "",
        summary="Your activity, newest first",
        responses={422: problem_response(422)},
        description=(
            "Every fill (`trade`, or `close` when it ended a position: with the position's P&L "
            "and why it was closed), bot status change (`bot`) and security event (`security`). "
            "Venue, symbol and P&L filters keep fills only."
        ),
    )
    async def activity(
        self,
        principal: NamedDependency[Principal],
        activity_views: NamedDependency[ActivityViews],
        kind: Annotated[ActivityType | None, QueryParameter(name="type")] = None,
        venue: Venue = None,
        symbol: Symbol = None,
        pnl: PnlSign = None,
        start: From = None,
        end: To = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> ActivityPage:
        flt = ActivityFilter(
            type=kind,
            venue=venue,
            symbol=symbol,
            pnl=pnl,
            start=timestamp("from", start),
            end=timestamp("to", end),
        )
        return await activity_views.page(principal.user_id, flt, limit, cursor)

    @get(
        "/export",
        summary="Your fills as a tax-ready CSV, oldest first",
        description=(
            "Columns: time_utc, venue, symbol, side, quantity, price, fee, fee_currency, "
            "realised_pnl (what the fill realised, net of its fee, in the quote currency), "
            "order_id, client_order_id. Streamed; a text cell that a spreadsheet would run as a "
            "formula starts with an apostrophe."
        ),
        media_type="text/csv",
    )
    async def export(
        self,
        principal: NamedDependency[Principal],
        activity_views: NamedDependency[ActivityViews],
        format: Annotated[Literal["csv"], QueryParameter()] = "csv",
        venue: Venue = None,
        symbol: Symbol = None,
        start: From = None,
        end: To = None,
    ) -> Stream:
        flt = ActivityFilter(
            venue=venue,
            symbol=symbol,
            start=timestamp("from", start),
            end=timestamp("to", end),
        )
        return Stream(
            activity_views.export_csv(principal.user_id, flt),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="nija-fills.csv"'},
        )

"""The Dashboard screen: `GET /v1/dashboard/overview`."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from modules.dashboard.schemas.screens import Overview
from modules.dashboard.views.overview import OverviewViews
from modules.kernel.auth import Principal


class OverviewController(Controller):
    path = "/v1/dashboard"
    tags = ["dashboard"]

    @get(
        "/overview",
        summary="Your dashboard in one request",
        description=(
            "The bot's status, equity and balances per venue, realised P&L (net of fees) today, "
            "over 7 and 30 days and all time with trades, positions closed and win rate, open "
            "positions marked at the latest bar's close, the last trade and the latest activity. "
            "Days are cut in your profile's time zone."
        ),
    )
    async def overview(
        self, principal: NamedDependency[Principal], overview_views: NamedDependency[OverviewViews]
    ) -> Overview:
        return await overview_views.overview(principal.user_id)

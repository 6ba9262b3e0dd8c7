"""The dashboard's order screens: your orders and one order with its fills."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from modules.dashboard.schemas.orders import (
    OrderDetail,
    OrderList,
)
from modules.dashboard.views.orders import DashboardViews
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath


class OrdersController(Controller):
    path = "/v1"
    tags = ["dashboard"]

    @get("/dashboard/orders", summary="Your orders as the dashboard shows them, newest first")
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        dashboard_views: NamedDependency[DashboardViews],
        limit: int = Parameter(default=50, ge=1, le=200),
    ) -> OrderList:
        return OrderList(items=await dashboard_views.list_orders(principal.user_id, limit))

    @get("/dashboard/orders/{order_id:str}", summary="One of your orders with its fills")
    async def order_detail(
        self,
        principal: NamedDependency[Principal],
        dashboard_views: NamedDependency[DashboardViews],
        order_id: IdPath,
    ) -> OrderDetail:
        return await dashboard_views.order_detail(principal.user_id, order_id)

"""The admin's dashboard: the platform at a glance, and a user's orders and phones for support."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from modules.dashboard.schemas.admin import AdminOverview
from modules.dashboard.schemas.orders import OrderList
from modules.dashboard.schemas.push import DeviceList
from modules.dashboard.service.push import PushDevices
from modules.dashboard.views.admin import AdminViews
from modules.dashboard.views.orders import DashboardViews
from modules.dashboard.views.push import PushViews
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath


class DashboardAdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]

    @get(
        "/overview",
        summary="Users, bots, 24 h trading, order-path latency and venue health, at a glance",
    )
    async def overview(
        self,
        admin: NamedDependency[Principal],
        dashboard_admin_views: NamedDependency[AdminViews],
    ) -> AdminOverview:
        return await dashboard_admin_views.overview()

    @get("/users/{user_id:uuid}/orders", summary="A user's orders, newest first (admin only)")
    async def user_orders(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        dashboard_admin_views: NamedDependency[AdminViews],
        dashboard_views: NamedDependency[DashboardViews],
        limit: int = Parameter(default=50, ge=1, le=200),
    ) -> OrderList:
        await dashboard_admin_views.known_user(str(user_id))
        return OrderList(items=await dashboard_views.list_orders(str(user_id), limit))

    @get("/users/{user_id:uuid}/push-devices", summary="A user's push devices (admin only)")
    async def user_push_devices(
        self,
        user_id: FromPath[uuid.UUID],
        admin: NamedDependency[Principal],
        dashboard_admin_views: NamedDependency[AdminViews],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> DeviceList:
        await dashboard_admin_views.known_user(str(user_id))
        return await dashboard_push_views.devices(str(user_id))

    @delete(
        "/users/{user_id:uuid}/push-devices/{device:str}",
        status_code=204,
        summary="Stop pushing to one of a user's devices (admin, step-up)",
    )
    async def revoke_push_device(
        self,
        user_id: FromPath[uuid.UUID],
        device: IdPath,
        admin_step_up: NamedDependency[Principal],
        dashboard_push_devices: NamedDependency[PushDevices],
    ) -> None:
        await dashboard_push_devices.revoke(str(user_id), device)

"""Your in-app notifications: list and mark read."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from modules.dashboard.schemas.orders import (
    NotificationList,
    NotificationView,
)
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.views.orders import DashboardViews
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath


class NotificationsController(Controller):
    path = "/v1"
    tags = ["notifications"]

    @get("/notifications", summary="Your in-app notifications, newest first")
    async def notifications(
        self,
        principal: NamedDependency[Principal],
        dashboard_views: NamedDependency[DashboardViews],
        limit: int = Parameter(default=50, ge=1, le=200),
        unread: bool = Parameter(default=False, description="Only unread notifications"),
    ) -> NotificationList:
        return await dashboard_views.notifications(principal.user_id, limit, unread_only=unread)

    @post(
        "/notifications/{notification_id:str}/read",
        status_code=200,
        summary="Mark one of your notifications read",
    )
    async def mark_read(
        self,
        principal: NamedDependency[Principal],
        dashboard_service: NamedDependency[DashboardService],
        notification_id: IdPath,
    ) -> NotificationView:
        return await dashboard_service.mark_read(principal, notification_id)

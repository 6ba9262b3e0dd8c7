"""Your in-app notifications: list, count, mark read; and which of them reach your phones."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from modules.dashboard.schemas.orders import (
    NotificationList,
    NotificationView,
)
from modules.dashboard.schemas.push import (
    MarkedRead,
    PreferencesUpdate,
    PreferencesView,
    UnreadCount,
)
from modules.dashboard.service.orders import DashboardService
from modules.dashboard.service.push import Notifier
from modules.dashboard.views.orders import DashboardViews
from modules.dashboard.views.push import PushViews
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

    @get("/notifications/unread-count", summary="How many of your notifications are unread")
    async def unread_count(
        self,
        principal: NamedDependency[Principal],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> UnreadCount:
        return await dashboard_push_views.unread(principal.user_id)

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

    @post("/notifications/read-all", status_code=200, summary="Mark all your notifications read")
    async def mark_all_read(
        self,
        principal: NamedDependency[Principal],
        dashboard_notifier: NamedDependency[Notifier],
    ) -> MarkedRead:
        return await dashboard_notifier.mark_all_read(principal.user_id)

    @get(
        "/notifications/preferences",
        summary="Which notifications reach your phones, and when your daily summary comes",
    )
    async def preferences(
        self,
        principal: NamedDependency[Principal],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> PreferencesView:
        return await dashboard_push_views.preferences(principal.user_id)

    @put(
        "/notifications/preferences",
        summary="Change your notification preferences (fields left out keep their value)",
        description="`daily_summary_time` is HH:MM in your profile's time zone. Security "
        "notices (new device, second factor changed, sign-in locked) are pushed whenever "
        "`push_enabled` is on.",
    )
    async def update_preferences(
        self,
        principal: NamedDependency[Principal],
        data: JSONBody[PreferencesUpdate],
        dashboard_notifier: NamedDependency[Notifier],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> PreferencesView:
        await dashboard_notifier.update_preferences(principal.user_id, data)
        return await dashboard_push_views.preferences(principal.user_id)
